<?php
/**
 * @package Storeflow
 */

use Storeflow\Settings;

final class SettingsTest extends StoreflowTestCase {

	public function test_https_service_url_is_kept_without_trailing_slash(): void {
		$clean = Settings::sanitize( array( 'service_url' => '  https://storeflow.example/  ' ) );

		$this->assertSame( 'https://storeflow.example', $clean['service_url'] );
		$this->assertSame( array(), StoreflowTestWorld::$settings_errors );
	}

	public function test_plain_http_to_a_remote_host_is_refused_and_previous_url_kept(): void {
		update_option( Settings::OPTION, array( 'service_url' => 'https://good.example' ) );

		$clean = Settings::sanitize( array( 'service_url' => 'http://evil.example' ) );

		$this->assertSame( 'https://good.example', $clean['service_url'] );
		$this->assertSame( 'storeflow_service_url', StoreflowTestWorld::$settings_errors[0][1] );
	}

	public function test_plain_http_on_localhost_is_allowed_for_development(): void {
		$this->assertSame( 'http://localhost:5000', Settings::sanitize( array( 'service_url' => 'http://localhost:5000/' ) )['service_url'] );
	}

	public function test_urls_with_other_schemes_credentials_or_queries_are_refused(): void {
		foreach ( array( 'javascript:alert(1)', 'ftp://storeflow.example', 'https://user:pw@storeflow.example', 'https://storeflow.example/?x=1', 'storeflow.example', '' ) as $bad ) {
			StoreflowTestWorld::$settings_errors = array();
			$this->assertSame( 'https://app.storeflow.io', Settings::sanitize( array( 'service_url' => $bad ) )['service_url'], $bad );
			$this->assertCount( 1, StoreflowTestWorld::$settings_errors, $bad );
		}
	}

	public function test_capture_checkbox_is_a_boolean_and_unchecked_when_absent(): void {
		$this->assertTrue( Settings::sanitize( array( 'capture_enabled' => '1' ) )['capture_enabled'] );
		$this->assertFalse( Settings::sanitize( array() )['capture_enabled'] );
	}

	public function test_consent_label_is_stripped_of_markup_and_shortened(): void {
		$clean = Settings::sanitize( array( 'consent_label' => '<script>x()</script>Remind <b>me</b>' . str_repeat( 'a', 300 ) ) );

		$this->assertStringStartsWith( 'x()Remind me', $clean['consent_label'] );
		$this->assertStringNotContainsString( '<', $clean['consent_label'] );
		$this->assertSame( 200, mb_strlen( $clean['consent_label'] ) );
	}

	public function test_array_fields_are_refused_like_bad_input_without_a_warning(): void {
		update_option( Settings::OPTION, array( 'service_url' => 'https://good.example', 'consent_label' => 'Hi' ) );

		$clean = Settings::sanitize( array( 'service_url' => array( 'https://evil.example' ), 'consent_label' => array( 'x' ) ) );

		$this->assertSame( 'https://good.example', $clean['service_url'] );
		$this->assertSame( '', $clean['consent_label'] );
		$this->assertCount( 1, StoreflowTestWorld::$settings_errors );
	}

	public function test_non_array_input_keeps_current_settings(): void {
		update_option( Settings::OPTION, array( 'service_url' => 'https://good.example', 'consent_label' => 'Hi' ) );

		$clean = Settings::sanitize( 'garbage' );

		$this->assertSame( 'https://good.example', $clean['service_url'] );
		$this->assertSame( 'Hi', $clean['consent_label'] );
	}

	public function test_events_are_sent_only_once_connected_with_a_secret(): void {
		$this->assertFalse( Settings::capture_active() );
		Settings::save_pending_secret( self::SECRET );
		$this->assertFalse( Settings::capture_active() );
		Settings::save_connection( 'connected', self::SECRET );
		$this->assertTrue( Settings::capture_active() );
		update_option( Settings::OPTION, array( 'capture_enabled' => false ) );
		$this->assertFalse( Settings::capture_active() );
	}
}
