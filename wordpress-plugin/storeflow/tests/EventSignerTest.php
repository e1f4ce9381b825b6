<?php
/**
 * @package Storeflow
 */

use Storeflow\EventSigner;

final class EventSignerTest extends StoreflowTestCase {

	public function test_signature_matches_hmac_of_timestamp_dot_body_computed_by_python(): void {
		// Expected value from Python: base64.b64encode(hmac.new(b"s3cret", b"1700000000." + body, sha256).digest()).
		$body = "{\"cart_key\":\"abc\",\"items\":[]}\n";
		$this->assertSame( 'jerjib2jzi5MLhe/1UH6qIsiks+Pof045KuLelARjGY=', EventSigner::signature( 's3cret', 1700000000, $body ) );
	}

	public function test_headers_carry_source_without_trailing_slash_topic_delivery_and_timestamp(): void {
		$headers = EventSigner::headers( self::SECRET, 'https://shop.example/', 'checkout.contact', '{}', 1763892000, 'd-1' );

		$this->assertSame( 'https://shop.example', $headers['X-Storeflow-Source'] );
		$this->assertSame( 'checkout.contact', $headers['X-Storeflow-Topic'] );
		$this->assertSame( 'd-1', $headers['X-Storeflow-Delivery-Id'] );
		$this->assertSame( '1763892000', $headers['X-Storeflow-Timestamp'] );
		$this->assertSame( EventSigner::signature( self::SECRET, 1763892000, '{}' ), $headers['X-Storeflow-Signature'] );
	}

	public function test_a_changed_byte_or_timestamp_changes_the_signature(): void {
		$signature = EventSigner::signature( self::SECRET, 1763892000, '{"a":1}' );

		$this->assertNotSame( $signature, EventSigner::signature( self::SECRET, 1763892000, '{"a":2}' ) );
		$this->assertNotSame( $signature, EventSigner::signature( self::SECRET, 1763892001, '{"a":1}' ) );
	}

	public function test_unknown_topic_is_refused(): void {
		$this->expectException( InvalidArgumentException::class );
		EventSigner::headers( self::SECRET, 'https://shop.example', 'order.created', '{}', 1, 'd' );
	}

	public function test_signing_without_a_secret_is_refused(): void {
		$this->expectException( InvalidArgumentException::class );
		EventSigner::headers( '', 'https://shop.example', 'cart.updated', '{}', 1, 'd' );
	}

	public function test_delivery_ids_are_distinct_uuid4s(): void {
		$first = EventSigner::delivery_id();

		$this->assertMatchesRegularExpression( '/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/', $first );
		$this->assertNotSame( $first, EventSigner::delivery_id() );
	}

	public function test_sign_event_cli_prints_the_headers_the_plugin_sends(): void {
		$file = tempnam( sys_get_temp_dir(), 'sf' );
		file_put_contents( $file, '{"cart_key":"k","items":[]}' );
		$command = sprintf( '%s %s %s 1763892000 %s cart.emptied https://shop.example/', escapeshellarg( PHP_BINARY ), escapeshellarg( dirname( __DIR__ ) . '/bin/sign-event.php' ), escapeshellarg( self::SECRET ), escapeshellarg( $file ) );

		$headers = json_decode( (string) shell_exec( $command ), true );
		unlink( $file );

		$this->assertSame( EventSigner::signature( self::SECRET, 1763892000, '{"cart_key":"k","items":[]}' ), $headers['X-Storeflow-Signature'] );
		$this->assertSame( 'cart.emptied', $headers['X-Storeflow-Topic'] );
		$this->assertSame( 'https://shop.example', $headers['X-Storeflow-Source'] );
		$this->assertSame( '1763892000', $headers['X-Storeflow-Timestamp'] );
	}

	public function test_sign_event_cli_fails_with_usage_on_missing_arguments(): void {
		exec( escapeshellarg( PHP_BINARY ) . ' ' . escapeshellarg( dirname( __DIR__ ) . '/bin/sign-event.php' ) . ' only-secret 2>&1', $output, $status );

		$this->assertSame( 2, $status );
		$this->assertStringContainsString( 'usage', implode( "\n", $output ) );
	}
}
