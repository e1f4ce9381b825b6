<?php
/**
 * @package Storeflow
 */

use Storeflow\EventSigner;
use Storeflow\Sender;
use Storeflow\Settings;

final class SenderTest extends StoreflowTestCase {

	protected function setUp(): void {
		parent::setUp();
		Settings::save_connection( 'connected', self::SECRET );
		update_option( Settings::OPTION, array( 'service_url' => 'https://storeflow.example' ) );
	}

	public function test_queueing_stores_the_body_and_enqueues_an_async_action_without_sending(): void {
		$id = Sender::queue( 'cart.updated', array( 'cart_key' => 'k', 'items' => array() ) );

		$this->assertSame( array(), StoreflowTestWorld::$requests );
		$this->assertSame( '{"cart_key":"k","items":[]}', Storeflow\Outbox::body( $id ) );
		$this->assertSame( array(), preg_grep( '/^storeflow_outbox/', array_keys( StoreflowTestWorld::$options ) ), 'no shopper data among the site options' );
		$this->assertSame( array( 'hook' => Sender::HOOK, 'args' => array( $id, 'cart.updated', 1 ), 'group' => 'storeflow', 'at' => 0 ), StoreflowTestWorld::$actions[0] );
	}

	public function test_delivery_posts_the_stored_bytes_signed_at_send_time_and_clears_the_outbox(): void {
		$id     = Sender::queue( 'checkout.contact', array( 'email' => 'a@b.pl', 'url' => 'https://x/y' ) );
		$before = time();

		Sender::deliver( $id, 'checkout.contact', 1 );

		$request = StoreflowTestWorld::$requests[0];
		$headers = $request['args']['headers'];
		$this->assertSame( 'https://storeflow.example/webhooks/woocommerce', $request['url'] );
		$this->assertSame( '{"email":"a@b.pl","url":"https://x/y"}', $request['args']['body'] );
		$this->assertSame( $id, $headers['X-Storeflow-Delivery-Id'] );
		$this->assertGreaterThanOrEqual( $before, (int) $headers['X-Storeflow-Timestamp'] );
		$this->assertSame( EventSigner::signature( self::SECRET, (int) $headers['X-Storeflow-Timestamp'], $request['args']['body'] ), $headers['X-Storeflow-Signature'] );
		$this->assertNull( Storeflow\Outbox::body( $id ) );
	}

	public function test_network_error_or_server_error_schedules_a_later_retry_with_the_same_delivery_id(): void {
		$id                             = Sender::queue( 'cart.updated', array( 'a' => 1 ) );
		StoreflowTestWorld::$responses  = array( new WP_Error( 'http_request_failed', 'timed out' ), array( 'response' => array( 'code' => 503 ), 'body' => '' ) );

		Sender::deliver( $id, 'cart.updated', 1 );
		Sender::deliver( $id, 'cart.updated', 2 );

		$this->assertSame( array( $id, 'cart.updated', 2 ), StoreflowTestWorld::$actions[1]['args'] );
		$this->assertSame( array( $id, 'cart.updated', 3 ), StoreflowTestWorld::$actions[2]['args'] );
		$this->assertGreaterThan( StoreflowTestWorld::$actions[1]['at'] - time(), StoreflowTestWorld::$actions[2]['at'] - time(), 'backoff grows' );
		$this->assertIsString( Storeflow\Outbox::body( $id ), 'body kept for the retry' );
	}

	public function test_rejected_signature_is_not_retried(): void {
		$id                            = Sender::queue( 'cart.updated', array( 'a' => 1 ) );
		StoreflowTestWorld::$responses = array( array( 'response' => array( 'code' => 401 ), 'body' => '' ) );

		Sender::deliver( $id, 'cart.updated', 1 );

		$this->assertCount( 1, StoreflowTestWorld::$actions );
		$this->assertNull( Storeflow\Outbox::body( $id ) );
	}

	public function test_gives_up_after_the_last_attempt(): void {
		$id                            = Sender::queue( 'cart.updated', array( 'a' => 1 ) );
		StoreflowTestWorld::$responses = array( array( 'response' => array( 'code' => 500 ), 'body' => '' ) );

		Sender::deliver( $id, 'cart.updated', Sender::MAX_ATTEMPTS );

		$this->assertCount( 1, StoreflowTestWorld::$actions );
		$this->assertNull( Storeflow\Outbox::body( $id ) );
	}

	public function test_events_left_in_the_queue_after_disconnect_are_dropped_unsent(): void {
		$id = Sender::queue( 'cart.updated', array( 'a' => 1 ) );
		Settings::save_connection( 'disconnected', '' );

		Sender::deliver( $id, 'cart.updated', 1 );

		$this->assertSame( array(), StoreflowTestWorld::$requests );
		$this->assertCount( 1, StoreflowTestWorld::$actions, 'no retry scheduled' );
		$this->assertNull( Storeflow\Outbox::body( $id ) );
	}

	public function test_shopper_contact_waits_in_the_outbox_table_findable_by_email_not_in_options(): void {
		$id = Sender::queue( 'checkout.contact', array( 'email' => 'Ala@Example.pl', 'items' => array() ) );

		$rows = $GLOBALS['wpdb']->tables['wp_storeflow_outbox'];
		$this->assertSame( array( $id, 'checkout.contact', 'ala@example.pl' ), array( $rows[0]['delivery_id'], $rows[0]['topic'], $rows[0]['email'] ) );
		$this->assertSame( $id, Storeflow\Outbox::for_email( 'ala@example.pl' )[0]['delivery_id'] );
		$this->assertSame( array(), preg_grep( '/outbox/', array_keys( StoreflowTestWorld::$options ) ) );
	}

	public function test_a_request_that_queued_an_event_starts_the_async_runner_once_at_shutdown(): void {
		Sender::queue( 'cart.updated', array( 'a' => 1 ) );
		Sender::queue( 'checkout.contact', array( 'a' => 2 ) );

		Sender::start_runner();
		Sender::start_runner();

		$this->assertSame( 1, StoreflowTestWorld::$async_dispatches );
	}

	public function test_a_request_that_queued_nothing_starts_no_runner(): void {
		Sender::start_runner();

		$this->assertSame( 0, StoreflowTestWorld::$async_dispatches );
	}

	public function test_version_0_1_outbox_options_are_removed_when_the_table_is_installed(): void {
		update_option( 'storeflow_outbox_5b1d6c1e-0000-4000-8000-000000000000', '{"email":"a@b.pl"}', false );
		update_option( 'storeflow_settings', array( 'service_url' => 'https://storeflow.example' ) );
		delete_option( Storeflow\Outbox::SCHEMA_OPTION );

		Storeflow\Outbox::maybe_upgrade();

		$this->assertSame( array( 'storeflow_settings', 'storeflow_connection', Storeflow\Outbox::SCHEMA_OPTION ), array_values( array_intersect( array( 'storeflow_settings', 'storeflow_connection', Storeflow\Outbox::SCHEMA_OPTION ), array_keys( StoreflowTestWorld::$options ) ) ) );
		$this->assertFalse( get_option( 'storeflow_outbox_5b1d6c1e-0000-4000-8000-000000000000' ) );
	}

	public function test_delivery_already_done_does_nothing(): void {
		Sender::deliver( 'gone', 'cart.updated', 1 );

		$this->assertSame( array(), StoreflowTestWorld::$requests );
	}
}
