<?php
/**
 * Contact details a shopper types at checkout.
 *
 * @package Storeflow
 */

namespace Storeflow;

defined( 'ABSPATH' ) || exit;

/**
 * Sanitises contact input from the classic checkout script and from the Store API.
 */
final class Contact {

	public const EMPTY = array(
		'email'      => null,
		'phone'      => null,
		'first_name' => '',
		'last_name'  => '',
		'consent'    => null,
	);

	/**
	 * Keep only valid, sanitised fields that were submitted. A half-typed email is dropped
	 * (not stored as garbage); an empty field clears what was there.
	 *
	 * @param array<string, mixed> $raw Submitted fields (unslashed).
	 * @return array<string, mixed>
	 */
	public static function sanitize( array $raw ): array {
		$clean = array();
		if ( array_key_exists( 'email', $raw ) ) {
			$email = sanitize_email( self::text( $raw['email'] ) );
			if ( '' === $email || is_email( $email ) ) {
				$clean['email'] = '' === $email ? null : strtolower( $email );
			}
		}
		if ( array_key_exists( 'phone', $raw ) ) {
			$phone          = wc_sanitize_phone_number( self::text( $raw['phone'] ) );
			$clean['phone'] = strlen( preg_replace( '/\D/', '', $phone ) ) >= 6 ? $phone : null;
		}
		foreach ( array( 'first_name', 'last_name' ) as $name ) {
			if ( array_key_exists( $name, $raw ) ) {
				$clean[ $name ] = mb_substr( sanitize_text_field( self::text( $raw[ $name ] ) ), 0, 100 );
			}
		}
		if ( array_key_exists( 'consent', $raw ) ) {
			$clean['consent'] = self::consent( $raw['consent'] );
		}
		return $clean;
	}

	/**
	 * A field as a string; anything that is not text (an array) counts as empty.
	 *
	 * @param mixed $value Raw value.
	 */
	private static function text( $value ): string {
		return is_string( $value ) || is_int( $value ) || is_float( $value ) ? (string) $value : '';
	}

	/**
	 * Checkbox state from the many shapes browsers and the Store API send.
	 *
	 * @param mixed $value Raw value.
	 */
	public static function consent( $value ): ?bool {
		if ( is_bool( $value ) ) {
			return $value;
		}
		$value = strtolower( trim( (string) $value ) );
		if ( in_array( $value, array( '1', 'true', 'yes', 'on' ), true ) ) {
			return true;
		}
		return in_array( $value, array( '0', 'false', 'no', 'off', '' ), true ) ? false : null;
	}
}
