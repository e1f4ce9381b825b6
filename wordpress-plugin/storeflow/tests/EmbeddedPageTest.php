<?php
/**
 * @package Storeflow
 */

use Storeflow\Admin\EmbeddedPage;
use Storeflow\Settings;
use Storeflow\SignedToken;

final class EmbeddedPageTest extends StoreflowTestCase {

	public function test_frame_points_at_the_service_with_a_token_for_the_current_user(): void {
		update_option( Settings::OPTION, array( 'service_url' => 'https://storeflow.example' ) );
		Settings::save_connection( 'connected', self::SECRET );

		$url = EmbeddedPage::frame_url( 3, 1763892000 );

		$this->assertStringStartsWith( 'https://storeflow.example/embedded/woocommerce?wp_token=', $url );
		parse_str( (string) parse_url( $url, PHP_URL_QUERY ), $query );
		$this->assertSame( array( 'store' => 'https://shop.example', 'user' => 3, 'exp' => 1763892300 ), SignedToken::verify( self::SECRET, $query['wp_token'] ) );
	}

	public function test_no_frame_before_the_store_is_connected(): void {
		$this->assertNull( EmbeddedPage::frame_url( 3, 1763892000 ) );
		$this->assertNull( EmbeddedPage::fresh_token( 3, 1763892000 ) );
	}

	public function test_a_renewed_token_names_the_same_store_and_user_and_runs_five_minutes_from_now(): void {
		Settings::save_connection( 'connected', self::SECRET );

		$token = EmbeddedPage::fresh_token( 3, 1763892600 );

		$this->assertSame( array( 'store' => 'https://shop.example', 'user' => 3, 'exp' => 1763892900 ), SignedToken::verify( self::SECRET, (string) $token ) );
	}

	public function test_the_frame_is_answered_only_at_the_services_origin(): void {
		update_option( Settings::OPTION, array( 'service_url' => 'https://storeflow.example:8443/base' ) );
		$this->assertSame( 'https://storeflow.example:8443', EmbeddedPage::service_origin() );
		update_option( Settings::OPTION, array( 'service_url' => 'https://storeflow.example' ) );
		$this->assertSame( 'https://storeflow.example', EmbeddedPage::service_origin() );
	}
}
