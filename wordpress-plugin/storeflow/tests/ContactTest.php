<?php
/**
 * @package Storeflow
 */

use Storeflow\Contact;

final class ContactTest extends StoreflowTestCase {

	public function test_array_values_count_as_empty_without_a_warning(): void {
		$clean = Contact::sanitize( array( 'email' => array( 'a@b.pl' ), 'phone' => array(), 'first_name' => array( 'Ala' ) ) );

		$this->assertSame( array( 'email' => null, 'phone' => null, 'first_name' => '' ), $clean );
		$this->assertSame( 'ala@b.pl', Contact::sanitize( array( 'email' => 'Ala@b.pl' ) )['email'] );
	}

	public function test_valid_fields_are_sanitised_and_email_lowercased(): void {
		$clean = Contact::sanitize(
			array(
				'email'      => ' Ala@Example.PL ',
				'phone'      => '+48 600-100-200<x>',
				'first_name' => ' <b>Ala</b> ',
				'last_name'  => 'Kot',
				'consent'    => 'on',
			)
		);

		$this->assertSame(
			array( 'email' => 'ala@example.pl', 'phone' => '+48 600-100-200', 'first_name' => 'Ala', 'last_name' => 'Kot', 'consent' => true ),
			$clean
		);
	}

	public function test_half_typed_email_is_dropped_not_stored(): void {
		$this->assertSame( array(), Contact::sanitize( array( 'email' => 'ala@' ) ) );
	}

	public function test_cleared_email_and_short_phone_become_null(): void {
		$this->assertSame( array( 'email' => null, 'phone' => null ), Contact::sanitize( array( 'email' => '', 'phone' => '12' ) ) );
	}

	public function test_fields_not_submitted_are_left_out(): void {
		$this->assertSame( array( 'consent' => false ), Contact::sanitize( array( 'consent' => '0', 'unknown' => 'x' ) ) );
	}

	public function test_consent_understands_checkbox_and_json_shapes(): void {
		$this->assertTrue( Contact::consent( true ) );
		$this->assertTrue( Contact::consent( 'yes' ) );
		$this->assertFalse( Contact::consent( '' ) );
		$this->assertFalse( Contact::consent( 'false' ) );
		$this->assertNull( Contact::consent( 'maybe' ) );
	}
}
