<?php
/**
 * Disconnect and uninstall revoke Storeflow's REST API keys and webhooks and tell the service.
 *
 * The store's rows are laid out as WooCommerce 6.6 writes them: wc-auth's create_keys()
 * (includes/class-wc-auth.php) inserts into woocommerce_api_keys a description
 * "<app_name> - API (<gmdate Y-m-d H:i:s>)", and the service creates webhooks named
 * "Storeflow <topic>" delivering to <service>/webhooks/woocommerce.
 *
 * @package Storeflow
 */

use Storeflow\Admin\Connection;
use Storeflow\EventSigner;
use Storeflow\Outbox;
use Storeflow\Sender;
use Storeflow\Settings;
use Storeflow\StoreAccess;

final class DisconnectTest extends StoreflowTestCase {

	protected function setUp(): void {
		parent::setUp();
		update_option( Settings::OPTION, array( 'service_url' => 'https://storeflow.example' ) );
		Settings::save_connection( 'connected', self::SECRET );
		$GLOBALS['wpdb']->tables['wp_woocommerce_api_keys'] = array(
			$this->key( 3, 1, 'Storeflow - API (2026-11-20 10:00:00)' ),
			$this->key( 4, 1, 'Zapier - API (2026-11-21 09:00:00)' ),
			$this->key( 5, 2, 'Storeflow - API (2026-11-28 17:45:12)' ),
			$this->key( 6, 1, 'Storeflow backups' ),
		);
		$GLOBALS['wpdb']->tables['wp_wc_webhooks'] = array();
		foreach ( array(
			new WC_Webhook( 11, 'Storeflow order.created', 'https://storeflow.example/webhooks/woocommerce', 'order.created' ),
			new WC_Webhook( 12, 'Storeflow coupon.updated', 'https://storeflow.example/webhooks/woocommerce', 'coupon.updated' ),
			new WC_Webhook( 13, 'Order to ERP', 'https://erp.example/hooks/order', 'order.created' ),
			new WC_Webhook( 14, 'Renamed by the merchant', 'https://storeflow.example/webhooks/woocommerce', 'product.updated' ),
			new WC_Webhook( 15, 'Storeflow customer.updated', 'https://old-host.storeflow.example/webhooks/woocommerce', 'customer.updated' ),
		) as $webhook ) {
			StoreflowTestWorld::$webhooks[ $webhook->id ] = $webhook;
			$GLOBALS['wpdb']->tables['wp_wc_webhooks'][]  = array( 'webhook_id' => $webhook->id, 'name' => $webhook->name, 'delivery_url' => $webhook->delivery_url );
		}
		StoreflowTestWorld::$user_id = 1;
	}

	public function test_disconnect_button_tells_the_service_signed_then_revokes_keys_and_webhooks_and_forgets_the_secret(): void {
		Sender::queue( 'cart.updated', array( 'email' => 'a@b.pl' ) );
		$_REQUEST = array( '_wpnonce' => wp_create_nonce( Connection::DISCONNECT ) );

		try {
			Connection::disconnect();
			$this->fail( 'no redirect' );
		} catch ( StoreflowRedirect $redirect ) {
			$this->assertStringContainsString( 'storeflow_notice=disconnected', $redirect->getMessage() );
		}

		$this->assertDisconnectEventSigned( 'disconnected' );
		$this->assertSame( array( 4, 6 ), array_column( $GLOBALS['wpdb']->tables['wp_woocommerce_api_keys'], 'key_id' ), 'only Storeflow\'s keys revoked' );
		$this->assertSame( array( 13 ), array_keys( StoreflowTestWorld::$webhooks ), 'only Storeflow\'s webhooks deleted' );
		$this->assertFalse( Settings::is_connected() );
		$this->assertSame( '', Settings::secret() );
		$this->assertSame( array(), $GLOBALS['wpdb']->tables['wp_storeflow_outbox'], 'nothing left to send' );
	}

	public function test_disconnect_with_storeflow_down_still_revokes_everything_and_says_so(): void {
		StoreflowTestWorld::$responses = array( new WP_Error( 'http_request_failed', 'Connection refused' ) );
		$_REQUEST                      = array( '_wpnonce' => wp_create_nonce( Connection::DISCONNECT ) );

		try {
			Connection::disconnect();
			$this->fail( 'no redirect' );
		} catch ( StoreflowRedirect $redirect ) {
			$this->assertStringContainsString( 'storeflow_notice=disconnected_offline', $redirect->getMessage() );
		}
		$this->assertSame( array( 4, 6 ), array_column( $GLOBALS['wpdb']->tables['wp_woocommerce_api_keys'], 'key_id' ) );
		$this->assertSame( array( 13 ), array_keys( StoreflowTestWorld::$webhooks ) );
	}

	public function test_disconnect_without_the_nonce_changes_nothing(): void {
		$_REQUEST = array( '_wpnonce' => 'forged' );

		try {
			Connection::disconnect();
			$this->fail( 'accepted without a nonce' );
		} catch ( StoreflowDie $die ) {
			$this->assertTrue( Settings::is_connected() );
		}
		$this->assertCount( 4, $GLOBALS['wpdb']->tables['wp_woocommerce_api_keys'] );
		$this->assertCount( 5, StoreflowTestWorld::$webhooks );
		$this->assertSame( array(), StoreflowTestWorld::$requests );
	}

	public function test_uninstall_tells_the_service_revokes_keys_and_webhooks_and_removes_every_trace(): void {
		update_option( 'storeflow_outbox_5b1d6c1e-0000-4000-8000-000000000000', '{"email":"a@b.pl"}', false );
		Sender::queue( 'cart.updated', array( 'email' => 'a@b.pl' ) );
		if ( ! defined( 'WP_UNINSTALL_PLUGIN' ) ) {
			define( 'WP_UNINSTALL_PLUGIN', 'storeflow/storeflow.php' );
		}

		include dirname( __DIR__ ) . '/uninstall.php';

		$this->assertDisconnectEventSigned( 'uninstalled' );
		$this->assertSame( array( 4, 6 ), array_column( $GLOBALS['wpdb']->tables['wp_woocommerce_api_keys'], 'key_id' ) );
		$this->assertSame( array( 13 ), array_keys( StoreflowTestWorld::$webhooks ) );
		$this->assertSame( array(), preg_grep( '/^storeflow/', array_keys( StoreflowTestWorld::$options ) ) );
		$this->assertArrayNotHasKey( 'wp_storeflow_outbox', $GLOBALS['wpdb']->tables );
		$this->assertSame( array( array( Sender::HOOK, Sender::GROUP ) ), StoreflowTestWorld::$unscheduled );
	}

	public function test_webhook_rows_are_deleted_even_when_woocommerce_is_not_loaded(): void {
		$reflection = new ReflectionMethod( StoreAccess::class, 'delete_webhook_rows' );
		$reflection->setAccessible( true );

		$this->assertSame( 4, $reflection->invoke( null ) );
		$this->assertSame( array( 13 ), array_column( $GLOBALS['wpdb']->tables['wp_wc_webhooks'], 'webhook_id' ) );
	}

	public function test_storeflow_keys_are_told_apart_by_wc_auths_description(): void {
		$this->assertTrue( StoreAccess::is_storeflow_key( 'Storeflow - API (2026-11-20 10:00:00)' ) );
		$this->assertFalse( StoreAccess::is_storeflow_key( 'Storeflow - API (by hand)' ) );
		$this->assertFalse( StoreAccess::is_storeflow_key( 'My Storeflow - API (2026-11-20 10:00:00)' ) );
	}

	private function assertDisconnectEventSigned( string $reason ): void {
		$this->assertCount( 1, StoreflowTestWorld::$requests );
		$request = StoreflowTestWorld::$requests[0];
		$headers = $request['args']['headers'];
		$body    = json_decode( $request['args']['body'], true );
		$this->assertSame( 'https://storeflow.example/webhooks/woocommerce', $request['url'] );
		$this->assertSame( 'store.disconnected', $headers['X-Storeflow-Topic'] );
		$this->assertSame( EventSigner::signature( self::SECRET, (int) $headers['X-Storeflow-Timestamp'], $request['args']['body'] ), $headers['X-Storeflow-Signature'] );
		$this->assertSame( array( 'https://shop.example', $reason ), array( $body['store_url'], $body['reason'] ) );
	}

	/** A woocommerce_api_keys row as wc-auth inserts it. */
	private function key( int $id, int $user_id, string $description ): array {
		return array(
			'key_id'          => $id,
			'user_id'         => $user_id,
			'description'     => $description,
			'permissions'     => 'read_write',
			'consumer_key'    => hash_hmac( 'sha256', "ck_{$id}", 'wc-api' ),
			'consumer_secret' => "cs_{$id}",
			'truncated_key'   => substr( md5( (string) $id ), -7 ),
		);
	}
}
