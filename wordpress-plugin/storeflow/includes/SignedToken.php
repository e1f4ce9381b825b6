<?php
/**
 * The `<payload>.<sig>` token format shared with the Storeflow service.
 *
 * payload = base64url (no padding) of compact JSON; sig = base64url (no padding) of
 * HMAC-SHA256(shared secret, payload string). The service issues restore tokens in this format
 * and verifies the embedded-admin tokens we mint, so both sides must agree byte for byte.
 *
 * @package Storeflow
 */

namespace Storeflow;

defined( 'ABSPATH' ) || defined( 'STOREFLOW_CLI' ) || exit;

/**
 * Encodes, signs and verifies `<payload>.<sig>` tokens. Free of WordPress so `bin/` can use it.
 */
final class SignedToken {

	/**
	 * Sign a claims array into a token.
	 *
	 * @param string               $secret Shared secret (the hex string itself is the HMAC key).
	 * @param array<string, mixed> $claims Claims to sign.
	 */
	public static function sign( string $secret, array $claims ): string {
		$payload = self::base64url( Json::compact( $claims ) );
		return $payload . '.' . self::signature( $secret, $payload );
	}

	/**
	 * Verify a token's signature and return its claims.
	 *
	 * @param string $secret Shared secret.
	 * @param string $token  Token from the outside world.
	 * @return array<string, mixed>
	 * @throws InvalidToken When the token is malformed or its signature does not match.
	 */
	public static function verify( string $secret, string $token ): array {
		$parts = explode( '.', $token );
		if ( 2 !== count( $parts ) || '' === $parts[0] || '' === $parts[1] ) {
			throw new InvalidToken( 'malformed' );
		}
		if ( '' === $secret || ! hash_equals( self::signature( $secret, $parts[0] ), $parts[1] ) ) {
			throw new InvalidToken( 'bad_signature' );
		}
		$json = self::base64url_decode( $parts[0] );
		$claims = null === $json ? null : json_decode( $json, true );
		if ( ! is_array( $claims ) ) {
			throw new InvalidToken( 'malformed' );
		}
		return $claims;
	}

	/**
	 * Base64url without padding, as RFC 7515 does it.
	 *
	 * @param string $bytes Raw bytes.
	 */
	public static function base64url( string $bytes ): string {
		return rtrim( strtr( base64_encode( $bytes ), '+/', '-_' ), '=' );
	}

	/**
	 * Decode base64url without padding; null when it is not valid base64url.
	 *
	 * @param string $text Encoded text.
	 */
	public static function base64url_decode( string $text ): ?string {
		if ( ! preg_match( '/^[A-Za-z0-9_-]*$/', $text ) ) {
			return null;
		}
		$decoded = base64_decode( strtr( $text, '-_', '+/' ), true );
		return false === $decoded ? null : $decoded;
	}

	/**
	 * The base64url HMAC of a payload string.
	 *
	 * @param string $secret  Shared secret.
	 * @param string $payload Encoded payload.
	 */
	private static function signature( string $secret, string $payload ): string {
		return self::base64url( hash_hmac( 'sha256', $payload, $secret, true ) );
	}
}
