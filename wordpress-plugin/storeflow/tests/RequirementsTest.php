<?php
/**
 * @package Storeflow
 */

use Storeflow\Plugin;
use Storeflow\Requirements;
use Storeflow\Sender;

final class RequirementsTest extends StoreflowTestCase {

	public static function setUpBeforeClass(): void {
		if ( ! defined( 'STOREFLOW_FILE' ) ) {
			define( 'STOREFLOW_FILE', dirname( __DIR__ ) . '/storeflow.php' );
			define( 'STOREFLOW_VERSION', '0.1.0' );
		}
	}

	public function test_the_store_it_was_tried_on_wordpress_6_0_1_with_woocommerce_6_6_0_is_accepted(): void {
		$this->assertSame( array(), Requirements::problems( '6.0.1', '6.6.0' ) );
		$this->assertSame( array(), Requirements::problems( '6.0', '6.6' ) );
		$this->assertSame( array(), Requirements::problems( '6.8.1', '9.8.2' ) );
	}

	public function test_older_wordpress_or_woocommerce_or_none_is_refused_with_the_reason(): void {
		$this->assertSame( array( 'Storeflow needs WordPress 6.0 or newer; this site runs 5.9.3.' ), Requirements::problems( '5.9.3', '6.6.0' ) );
		$this->assertSame( array( 'Storeflow needs WooCommerce 6.6 or newer; this site runs 6.5.1.' ), Requirements::problems( '6.0.1', '6.5.1' ) );
		$this->assertCount( 1, Requirements::problems( '6.0.1', null ) );
	}

	public function test_activation_on_wordpress_6_0_1_with_woocommerce_6_6_0_succeeds_and_creates_the_outbox(): void {
		unset( $GLOBALS['wpdb']->tables['wp_storeflow_outbox'] );

		Requirements::on_activation();

		$this->assertSame( array(), StoreflowTestWorld::$deactivated );
		$this->assertArrayHasKey( 'wp_storeflow_outbox', $GLOBALS['wpdb']->tables );
	}

	public function test_activation_below_woocommerce_6_6_deactivates_the_plugin_and_says_why(): void {
		StoreflowTestWorld::$wc->version = '6.5.1';

		try {
			Requirements::on_activation();
			$this->fail( 'activation went on' );
		} catch ( StoreflowDie $die ) {
			$this->assertStringContainsString( 'WooCommerce 6.6 or newer', $die->getMessage() );
		}
		$this->assertSame( array( 'storeflow/storeflow.php' ), StoreflowTestWorld::$deactivated );
	}

	public function test_boot_on_woocommerce_6_6_registers_the_plugin_and_below_it_only_a_notice(): void {
		Plugin::boot();
		$this->assertArrayHasKey( Sender::HOOK, StoreflowTestWorld::$hooks );

		StoreflowTestWorld::$hooks       = array();
		StoreflowTestWorld::$wc->version = '6.5.1';
		Plugin::boot();
		$this->assertArrayNotHasKey( Sender::HOOK, StoreflowTestWorld::$hooks );
		$this->assertArrayHasKey( 'admin_notices', StoreflowTestWorld::$hooks );
	}

	public function test_headers_declare_the_floor_the_code_checks_and_claim_only_tested_versions(): void {
		$header = (string) file_get_contents( dirname( __DIR__ ) . '/storeflow.php' );
		$readme = (string) file_get_contents( dirname( __DIR__ ) . '/readme.txt' );

		$this->assertMatchesRegularExpression( '/^ \* Requires at least:\s+' . preg_quote( Requirements::WORDPRESS, '/' ) . '$/m', $header );
		$this->assertMatchesRegularExpression( '/^ \* WC requires at least:\s+' . preg_quote( Requirements::WOOCOMMERCE, '/' ) . '$/m', $header );
		$this->assertMatchesRegularExpression( '/^Requires at least: ' . preg_quote( Requirements::WORDPRESS, '/' ) . '$/m', $readme );
		$this->assertMatchesRegularExpression( '/^WC requires at least: ' . preg_quote( Requirements::WOOCOMMERCE, '/' ) . '$/m', $readme );
		// smoke/run-real.sh ran on WordPress 6.0.1 and Debian's 6.1.9, each with WooCommerce 6.6.0;
		// nothing newer was tried.
		$this->assertMatchesRegularExpression( '/^ \* Tested up to:\s+6\.1$/m', $header );
		$this->assertMatchesRegularExpression( '/^ \* WC tested up to:\s+6\.6$/m', $header );
		$this->assertMatchesRegularExpression( '/^Tested up to: 6\.1$/m', $readme );
		$this->assertMatchesRegularExpression( '/^WC tested up to: 6\.6$/m', $readme );
	}

	public function test_activation_hook_is_registered_in_the_main_file(): void {
		$this->assertStringContainsString( "register_activation_hook( __FILE__, array( Storeflow\\Requirements::class, 'on_activation' ) );", (string) file_get_contents( dirname( __DIR__ ) . '/storeflow.php' ) );
	}
}
