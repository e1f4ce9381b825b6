<?php
/**
 * @package Storeflow
 */

use Storeflow\ProductViews;

final class ProductViewsTest extends StoreflowTestCase {

	protected function setUp(): void {
		parent::setUp();
		if ( ! defined( 'STOREFLOW_FILE' ) ) {
			define( 'STOREFLOW_FILE', dirname( __DIR__ ) . '/storeflow.php' );
			define( 'STOREFLOW_VERSION', '0.1.0' );
		}
		$this->connected_store();
	}

	public function test_product_page_loads_the_deferred_script_with_the_collectors_address_and_key(): void {
		StoreflowTestWorld::$queried_product = 12;

		ProductViews::enqueue_script();

		$script = StoreflowTestWorld::$scripts[ ProductViews::HANDLE ];
		$this->assertSame( 'https://shop.example/wp-content/plugins/storeflow/assets/js/product-views.js', $script['src'] );
		$this->assertSame( array( 'in_footer' => true, 'strategy' => 'defer' ), $script['args'] );
		$this->assertSame(
			array(
				'endpoint'        => 'https://app.storeflow.io/collect/woocommerce',
				'shop'            => 'https://shop.example',
				'key'             => substr( hash_hmac( 'sha256', 'storeflow collect key', self::SECRET ), 0, 32 ),
				'productId'       => '12',
				'cookie'          => 'storeflow_vid',
				'consentCategory' => 'marketing',
				'identityParam'   => 'sf_id',
				'identityCookie'  => 'storeflow_id',
				'identityMaxAge'  => 2592000,
			),
			$script['data']['storeflowViews']
		);
		$this->assertStringNotContainsString( self::SECRET, wp_json_encode_for_test( $script['data'] ) );
	}

	public function test_signed_in_shopper_is_named_by_their_customer_id_signed_with_the_shared_secret(): void {
		StoreflowTestWorld::$queried_product = 12;
		StoreflowTestWorld::$user_id         = 41;

		ProductViews::enqueue_script();

		$this->assertSame(
			array( 'id' => '41', 'sig' => hash_hmac( 'sha256', 'customer:41', self::SECRET ) ),
			StoreflowTestWorld::$scripts[ ProductViews::HANDLE ]['data']['storeflowViews']['customer']
		);
	}

	public function test_other_pages_get_no_script(): void {
		ProductViews::enqueue_script();

		$this->assertSame( array(), StoreflowTestWorld::$scripts );
	}

	public function test_a_disconnected_store_tracks_nothing(): void {
		Storeflow\Settings::save_connection( 'disconnected', '' );
		StoreflowTestWorld::$queried_product = 12;

		ProductViews::enqueue_script();

		$this->assertSame( array(), StoreflowTestWorld::$scripts );
	}

	public function test_capture_switched_off_tracks_nothing(): void {
		update_option( Storeflow\Settings::OPTION, array( 'capture_enabled' => false ) );
		StoreflowTestWorld::$queried_product = 12;

		ProductViews::enqueue_script();

		$this->assertSame( array(), StoreflowTestWorld::$scripts );
	}

	public function test_registers_the_script_hook_and_declares_itself_to_the_wp_consent_api(): void {
		ProductViews::register();

		$this->assertArrayHasKey( 'wp_enqueue_scripts', StoreflowTestWorld::$hooks );
		$this->assertArrayHasKey( 'wp_consent_api_registered_storeflow/storeflow.php', StoreflowTestWorld::$hooks );
	}
}

/**
 * The localized data as one string, to look for what must never be in the page.
 *
 * @param mixed $data Script data.
 */
function wp_json_encode_for_test( $data ): string {
	return (string) json_encode( $data );
}
