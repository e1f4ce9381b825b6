<?php
/**
 * @package Storeflow
 */

use Storeflow\Plugin;
use Storeflow\Sender;

final class PluginTest extends StoreflowTestCase {

	public static function setUpBeforeClass(): void {
		if ( ! defined( 'STOREFLOW_FILE' ) ) {
			define( 'STOREFLOW_FILE', dirname( __DIR__ ) . '/storeflow.php' );
			define( 'STOREFLOW_VERSION', '0.1.0' );
		}
	}

	public function test_delivery_action_receives_all_three_scheduled_arguments(): void {
		Plugin::boot();

		$this->assertSame( array( array( Sender::class, 'deliver' ), 10, 3 ), StoreflowTestWorld::$hooks[ Sender::HOOK ][0] );
	}

	public function test_store_api_hooks_receive_customer_or_order_and_request(): void {
		Plugin::boot();

		$this->assertSame( 2, StoreflowTestWorld::$hooks['woocommerce_store_api_cart_update_customer_from_request'][0][2] );
		$this->assertSame( 2, StoreflowTestWorld::$hooks['woocommerce_store_api_checkout_update_order_from_request'][0][2] );
	}

	public function test_cart_events_are_flushed_before_woocommerce_saves_the_session(): void {
		Plugin::boot();

		$flush = array_values( array_filter( StoreflowTestWorld::$hooks['shutdown'], fn( $hook ) => array( Storeflow\CartCapture::class, 'flush_current' ) === $hook[0] ) );
		$this->assertLessThan( 20, $flush[0][1] );
	}

	public function test_the_async_runner_is_started_after_the_cart_is_flushed_on_every_request(): void {
		Plugin::boot();

		$priority = array();
		foreach ( StoreflowTestWorld::$hooks['shutdown'] as list( $callback, $at ) ) {
			$priority[ implode( '::', $callback ) ] = $at;
		}
		$this->assertSame( Sender::RUNNER_PRIORITY, $priority[ Sender::class . '::start_runner' ] );
		$this->assertGreaterThan( $priority[ Storeflow\CartCapture::class . '::flush_current' ], $priority[ Sender::class . '::start_runner' ], 'runner starts after the cart event is queued' );
		$this->assertGreaterThan( 20, Sender::RUNNER_PRIORITY, 'and after WooCommerce saved the session' );
	}

	public function test_privacy_exporter_and_eraser_are_registered_on_every_request(): void {
		Plugin::boot();

		$this->assertSame( array( Storeflow\Privacy::class, 'exporters' ), StoreflowTestWorld::$hooks['wp_privacy_personal_data_exporters'][0][0] );
		$this->assertSame( array( Storeflow\Privacy::class, 'erasers' ), StoreflowTestWorld::$hooks['wp_privacy_personal_data_erasers'][0][0] );
	}

	public function test_translations_load_from_the_languages_folder(): void {
		Plugin::boot();
		Plugin::load_textdomain();

		$this->assertSame( array( Plugin::class, 'load_textdomain' ), StoreflowTestWorld::$hooks['init'][0][0] );
		$this->assertSame( 'storeflow/languages', StoreflowTestWorld::$text_domains['storeflow'] );
	}

	public function test_admin_pages_are_registered_only_in_admin(): void {
		Plugin::boot();
		$this->assertArrayNotHasKey( 'admin_menu', StoreflowTestWorld::$hooks );

		StoreflowTestWorld::$hooks = array();
		StoreflowTestWorld::$admin = true;
		Plugin::boot();
		$this->assertCount( 2, StoreflowTestWorld::$hooks['admin_menu'] );
		$this->assertArrayHasKey( 'admin_post_storeflow_connect', StoreflowTestWorld::$hooks );
	}

	public function test_plugin_header_declares_requirements_and_matches_readme(): void {
		$header = (string) file_get_contents( dirname( __DIR__ ) . '/storeflow.php' );
		$readme = (string) file_get_contents( dirname( __DIR__ ) . '/readme.txt' );

		$this->assertMatchesRegularExpression( '/^ \* Requires Plugins:\s+woocommerce$/m', $header );
		$this->assertMatchesRegularExpression( '/^ \* Requires PHP:\s+8\.1$/m', $header );
		$this->assertMatchesRegularExpression( '/^ \* Tested up to:\s+\d+\.\d+$/m', $header );
		preg_match( '/^ \* Version:\s+(\S+)$/m', $header, $version );
		$this->assertStringContainsString( 'Stable tag: ' . $version[1], $readme );
		$this->assertStringContainsString( "define( 'STOREFLOW_VERSION', '{$version[1]}' );", $header );
	}
}
