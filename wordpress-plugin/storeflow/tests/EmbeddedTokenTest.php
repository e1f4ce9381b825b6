<?php
/**
 * @package Storeflow
 */

use Storeflow\EmbeddedToken;
use Storeflow\SignedToken;

final class EmbeddedTokenTest extends StoreflowTestCase {

	public function test_minted_token_carries_store_user_and_five_minute_expiry_as_compact_json(): void {
		$token = EmbeddedToken::mint( self::SECRET, 'https://shop.example/', 7, 1763892000 );

		list( $payload ) = explode( '.', $token );
		$this->assertSame( '{"store":"https://shop.example","user":7,"exp":1763892300}', SignedToken::base64url_decode( $payload ) );
	}

	public function test_signature_is_base64url_hmac_of_the_payload_string(): void {
		list( $payload, $sig ) = explode( '.', EmbeddedToken::mint( self::SECRET, 'https://shop.example', 7, 1763892000 ) );

		$expected = rtrim( strtr( base64_encode( hash_hmac( 'sha256', $payload, self::SECRET, true ) ), '+/', '-_' ), '=' );
		$this->assertSame( $expected, $sig );
		$this->assertStringNotContainsString( '=', $payload . $sig );
	}

	public function test_token_verifies_with_the_shared_secret_only(): void {
		$token = EmbeddedToken::mint( self::SECRET, 'https://shop.example', 7, 1763892000 );

		$this->assertSame( 7, SignedToken::verify( self::SECRET, $token )['user'] );
		$this->expectException( Storeflow\InvalidToken::class );
		SignedToken::verify( 'another-secret', $token );
	}
}
