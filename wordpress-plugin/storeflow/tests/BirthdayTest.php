<?php
/**
 * @package Storeflow
 */

use Storeflow\Birthday;
use Storeflow\Settings;

final class BirthdayTest extends StoreflowTestCase {

	private const NOW = 1795000000; // 2026-11-18

	protected function setUp(): void {
		parent::setUp();
		$this->connected_store();
	}

	public function test_only_a_real_past_date_is_kept(): void {
		$this->assertSame( '1990-11-23', Birthday::sanitize( '1990-11-23', self::NOW ) );
		$this->assertSame( '2004-02-29', Birthday::sanitize( ' 2004-02-29 ', self::NOW ) );
		foreach ( array( '2003-02-29', '1990-13-01', '23.11.1990', '1850-01-01', '2030-01-01', '', array( '1990-11-23' ), null ) as $bad ) {
			$this->assertNull( Birthday::sanitize( $bad, self::NOW ), var_export( $bad, true ) );
		}
	}

	public function test_checkout_keeps_the_date_on_the_order_and_the_signed_in_customer(): void {
		StoreflowTestWorld::$user_id = 7;
		$_POST                       = array( Birthday::FIELD => '1990-11-23' );
		$order                       = $this->order();

		Birthday::save_from_checkout( $order );

		$this->assertSame( array( 'storeflow_birthday' => '1990-11-23' ), $order->meta );
		$this->assertSame( '1990-11-23', get_user_meta( 7, 'storeflow_birthday', true ) );
	}

	public function test_a_guest_checkout_keeps_it_on_the_order_only_and_a_bad_date_nowhere(): void {
		$_POST = array( Birthday::FIELD => '1990-11-23' );
		$order = $this->order();
		Birthday::save_from_checkout( $order );
		$this->assertSame( '1990-11-23', $order->meta['storeflow_birthday'] );
		$this->assertSame( array(), StoreflowTestWorld::$user_meta );

		$_POST = array( Birthday::FIELD => 'tomorrow' );
		$other = $this->order();
		Birthday::save_from_checkout( $other );
		$this->assertSame( array(), $other->meta );
	}

	public function test_the_account_form_saves_and_an_emptied_field_forgets(): void {
		$_POST = array( Birthday::FIELD => '1985-06-01' );
		Birthday::save_from_account( 7 );
		$this->assertSame( '1985-06-01', get_user_meta( 7, 'storeflow_birthday', true ) );

		$_POST = array( Birthday::FIELD => '' );
		Birthday::save_from_account( 7 );
		$this->assertSame( '', get_user_meta( 7, 'storeflow_birthday', true ) );
	}

	public function test_the_field_shows_the_saved_date_and_is_optional(): void {
		StoreflowTestWorld::$user_id = 7;
		update_user_meta( 7, 'storeflow_birthday', '1985-06-01' );

		ob_start();
		Birthday::render_account_field();
		$html = (string) ob_get_clean();

		$this->assertStringContainsString( 'type="date"', $html );
		$this->assertStringContainsString( 'value="1985-06-01"', $html );
		$this->assertStringNotContainsString( 'required', $html );
		$this->assertStringContainsString( 'Birthday (optional)', $html );
	}

	public function test_nothing_is_asked_or_kept_when_the_merchant_turned_the_field_off(): void {
		update_option( Settings::OPTION, array( 'ask_birthday' => false ) );
		$_POST = array( Birthday::FIELD => '1990-11-23' );
		$order = $this->order();

		ob_start();
		Birthday::render_checkout_field();
		$this->assertSame( '', ob_get_clean() );
		Birthday::save_from_checkout( $order );
		$this->assertSame( array(), $order->meta );
		$this->assertFalse( Settings::sanitize( array() )['ask_birthday'] );
		$this->assertTrue( Settings::sanitize( array( 'ask_birthday' => '1' ) )['ask_birthday'] );
	}

	private function order(): object {
		return new class() {
			public array $meta = array();
			public function update_meta_data( $key, $value ) { $this->meta[ $key ] = $value; }
		};
	}
}
