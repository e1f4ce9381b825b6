<?php
/**
 * @package Storeflow
 */

use Storeflow\InvalidToken;
use Storeflow\RestoreToken;
use Storeflow\SignedToken;

final class RestoreTokenTest extends StoreflowTestCase {

	/** Issued by Python: payload/sig base64url without padding, secret = SECRET. */
	private const PYTHON_TOKEN = 'eyJrIjoiOWYyYzFlIiwiaSI6W1sxMiwwLDJdLFsxNSwzMSwxXV0sImQiOiJCQUNLLTEwIiwieCI6MTkwMDAwMDAwMH0.C7XcTkJRpO01tytn--hs7PRzyu7ZmQaEFK9DHjgbsXM';

	private const NOW = 1763892000;

	public function test_token_issued_by_the_service_gives_cart_lines_and_discount(): void {
		$token = RestoreToken::parse( self::SECRET, self::PYTHON_TOKEN, self::NOW );

		$this->assertSame( '9f2c1e', $token->cart_key );
		$this->assertSame( array( array( 12, 0, 2 ), array( 15, 31, 1 ) ), $token->items );
		$this->assertSame( 'BACK-10', $token->discount );
	}

	public function test_token_without_discount_has_null_discount(): void {
		$token = RestoreToken::parse( self::SECRET, $this->token( array( 'd' => null ) ), self::NOW );

		$this->assertNull( $token->discount );
	}

	public function test_tampered_payload_is_rejected(): void {
		list( $payload, $sig ) = explode( '.', self::PYTHON_TOKEN );
		$forged                = SignedToken::base64url( str_replace( '"BACK-10"', '"FREE-100"', (string) SignedToken::base64url_decode( $payload ) ) );

		$this->assertRejected( 'bad_signature', $forged . '.' . $sig );
	}

	public function test_tampered_signature_is_rejected(): void {
		$this->assertRejected( 'bad_signature', substr( self::PYTHON_TOKEN, 0, -2 ) . 'AA' );
	}

	public function test_token_signed_with_another_secret_is_rejected(): void {
		$this->assertRejected( 'bad_signature', SignedToken::sign( 'other-store-secret', $this->claims() ) );
	}

	public function test_expired_token_is_rejected(): void {
		$this->assertRejected( 'expired', $this->token( array( 'x' => self::NOW ) ) );
	}

	public function test_malformed_tokens_are_rejected(): void {
		foreach ( array( '', 'no-dot', 'a.b.c', '.sig' ) as $garbage ) {
			$this->assertRejected( 'malformed', $garbage );
		}
	}

	public function test_signed_payload_that_is_not_json_is_rejected(): void {
		$payload = SignedToken::base64url( 'not json' );
		$sig     = SignedToken::base64url( hash_hmac( 'sha256', $payload, self::SECRET, true ) );

		$this->assertRejected( 'malformed', $payload . '.' . $sig );
	}

	public function test_signed_but_nonsensical_lines_are_rejected(): void {
		foreach ( array( array( array( 12, 0, 0 ) ), array( array( 12, 0 ) ), array( array( '12', 0, 1 ) ), array( array( 12, -1, 1 ) ), 'x' ) as $items ) {
			$this->assertRejected( 'malformed', $this->token( array( 'i' => $items ) ) );
		}
	}

	public function test_no_secret_means_every_token_is_rejected(): void {
		$this->assertRejected( 'bad_signature', self::PYTHON_TOKEN, '' );
	}

	/** @param array<string, mixed> $override */
	private function claims( array $override = array() ): array {
		return array_merge(
			array(
				'k' => 'cart-1',
				'i' => array( array( 12, 0, 1 ) ),
				'd' => 'SAVE5',
				'x' => self::NOW + 3600,
			),
			$override
		);
	}

	/** @param array<string, mixed> $override */
	private function token( array $override ): string {
		return SignedToken::sign( self::SECRET, $this->claims( $override ) );
	}

	private function assertRejected( string $reason, string $token, string $secret = self::SECRET ): void {
		try {
			RestoreToken::parse( $secret, $token, self::NOW );
			$this->fail( "Token accepted: {$token}" );
		} catch ( InvalidToken $error ) {
			$this->assertSame( $reason, $error->getMessage(), $token );
		}
	}
}
