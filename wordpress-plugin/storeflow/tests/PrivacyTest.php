<?php
/**
 * Tools > Export / Erase Personal Data.
 *
 * @package Storeflow
 */

use Storeflow\EventSigner;
use Storeflow\Outbox;
use Storeflow\Privacy;
use Storeflow\Sender;
use Storeflow\Settings;

final class PrivacyTest extends StoreflowTestCase {

	protected function setUp(): void {
		parent::setUp();
		update_option( Settings::OPTION, array( 'service_url' => 'https://storeflow.example' ) );
		Settings::save_connection( 'connected', self::SECRET );
		Sender::queue( 'checkout.contact', array( 'email' => 'Ala@Example.pl', 'phone' => '+48600100200', 'first_name' => 'Ala', 'consent' => true, 'items' => array() ) );
		Sender::queue( 'checkout.contact', array( 'email' => 'ola@example.pl', 'first_name' => 'Ola' ) );
	}

	public function test_exporter_and_eraser_are_offered_to_wordpress(): void {
		$this->assertSame( array( Privacy::class, 'export' ), Privacy::exporters( array() )['storeflow']['callback'] );
		$this->assertSame( array( Privacy::class, 'erase' ), Privacy::erasers( array( 'other' => array() ) )['storeflow']['callback'] );
		$this->assertArrayHasKey( 'other', Privacy::erasers( array( 'other' => array() ) ) );
	}

	public function test_export_lists_the_unsent_details_of_that_person_only(): void {
		$export = Privacy::export( 'ala@example.pl', 1 );

		$this->assertTrue( $export['done'] );
		$this->assertCount( 1, $export['data'] );
		$fields = array_column( $export['data'][0]['data'], 'value', 'name' );
		$this->assertSame( 'checkout.contact', $fields['Event'] );
		$this->assertSame( array( 'Ala@Example.pl', '+48600100200', 'Ala', 'Yes' ), array( $fields['Email'], $fields['Phone'], $fields['First name'], $fields['Agreed to reminders'] ) );
		$this->assertSame( array(), Privacy::export( 'nobody@example.pl', 1 )['data'] );
	}

	public function test_erasure_deletes_the_unsent_details_and_forwards_a_signed_request_to_storeflow(): void {
		$result = Privacy::erase( 'ala@example.pl', 1 );

		$this->assertSame( array( true, false, true ), array( $result['items_removed'], $result['items_retained'], $result['done'] ) );
		$this->assertSame( array(), Outbox::for_email( 'ala@example.pl' ) );
		$this->assertCount( 1, Outbox::for_email( 'ola@example.pl' ), 'someone else\'s details stay' );
		$request = StoreflowTestWorld::$requests[0];
		$headers = $request['args']['headers'];
		$this->assertSame( 'customer.erase', $headers['X-Storeflow-Topic'] );
		$this->assertSame( EventSigner::signature( self::SECRET, (int) $headers['X-Storeflow-Timestamp'], $request['args']['body'] ), $headers['X-Storeflow-Signature'] );
		$this->assertSame( array( 'ala@example.pl', 0 ), array( json_decode( $request['args']['body'], true )['email'], json_decode( $request['args']['body'], true )['customer_id'] ) );
	}

	public function test_the_birthday_a_customer_gave_is_exported_and_erased(): void {
		StoreflowTestWorld::$users['ala@example.pl'] = (object) array( 'ID' => 7 );
		update_user_meta( 7, 'storeflow_birthday', '1990-11-23' );
		update_user_meta( 8, 'storeflow_birthday', '1985-06-01' );

		$export = Privacy::export( 'ala@example.pl', 1 );
		$fields = array_column( end( $export['data'] )['data'], 'value', 'name' );
		$this->assertSame( '1990-11-23', $fields['Birthday'] );

		$result = Privacy::erase( 'ala@example.pl', 1 );
		$this->assertTrue( $result['items_removed'] );
		$this->assertSame( '', get_user_meta( 7, 'storeflow_birthday', true ) );
		$this->assertSame( '1985-06-01', get_user_meta( 8, 'storeflow_birthday', true ), 'someone else\'s stays' );
	}

	public function test_erasure_with_storeflow_down_is_queued_for_retry_and_reported_retained(): void {
		StoreflowTestWorld::$responses = array( new WP_Error( 'http_request_failed', 'timed out' ) );

		$result = Privacy::erase( 'ala@example.pl', 1 );

		$this->assertTrue( $result['items_retained'] );
		$this->assertSame( 'customer.erase', end( StoreflowTestWorld::$actions )['args'][1] );
		$this->assertSame( array( 'customer.erase' ), array_column( Outbox::for_email( 'ala@example.pl' ), 'topic' ), 'only the request itself waits' );
	}

	public function test_erasure_refused_by_storeflow_is_reported_retained_and_not_retried(): void {
		StoreflowTestWorld::$responses = array( array( 'response' => array( 'code' => 401 ), 'body' => '' ) );
		$actions                       = count( StoreflowTestWorld::$actions );

		$result = Privacy::erase( 'ala@example.pl', 1 );

		$this->assertTrue( $result['items_retained'] );
		$this->assertCount( $actions, StoreflowTestWorld::$actions );
	}

	public function test_erasure_on_a_disconnected_store_sends_nothing_and_says_so(): void {
		Settings::save_connection( 'disconnected', '' );

		$result = Privacy::erase( 'ala@example.pl', 1 );

		$this->assertSame( array(), StoreflowTestWorld::$requests );
		$this->assertStringContainsString( 'not connected', $result['messages'][0] );
	}

	public function test_the_erasure_topic_is_one_the_signer_accepts(): void {
		$this->assertContains( Privacy::ERASURE_TOPIC, EventSigner::TOPICS );
	}
}
