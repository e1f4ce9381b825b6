<?php
/**
 * @package Storeflow
 */

use Storeflow\Admin\SettingsPage;
use Storeflow\Settings;

final class SettingsPageTest extends StoreflowTestCase {

	public function test_the_page_tells_the_merchant_events_travel_by_action_scheduler_and_otherwise_wait_for_wp_cron(): void {
		StoreflowTestWorld::$user_id = 1;
		Settings::save_connection( 'connected', self::SECRET );
		update_option( 'date_format', 'Y-m-d' );

		ob_start();
		SettingsPage::render();
		$html = (string) ob_get_clean();

		$this->assertStringContainsString( 'Action Scheduler', $html );
		$this->assertStringContainsString( 'WP-Cron runs only when someone visits your site', $html );
		$this->assertStringContainsString( 'page=wc-status&amp;tab=action-scheduler&amp;status=pending&amp;s=storeflow_deliver_event', $html );
		$this->assertStringContainsString( 'Disconnect', $html );
	}

	public function test_a_notice_code_sent_as_an_array_shows_nothing_and_no_warning(): void {
		StoreflowTestWorld::$user_id = 1;
		$_GET                        = array( 'storeflow_notice' => array( 'connected' ) );

		ob_start();
		SettingsPage::render();
		$html = (string) ob_get_clean();

		$this->assertStringNotContainsString( 'notice-success', $html );
		$_GET = array( 'storeflow_notice' => 'connected' );
		ob_start();
		SettingsPage::render();
		$this->assertStringContainsString( 'notice-success', (string) ob_get_clean() );
	}
}
