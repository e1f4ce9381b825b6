<?php
/**
 * Headers that authenticate one plugin event to the service.
 *
 * @package Storeflow
 */

namespace Storeflow;

defined( 'ABSPATH' ) || defined( 'STOREFLOW_CLI' ) || exit;

/**
 * Signs `<timestamp>.<raw body>` with the shared secret. Free of WordPress so `bin/sign-event.php`
 * prints exactly what the plugin sends.
 */
final class EventSigner {

	/** Topics the service understands from the plugin. */
	public const TOPICS = array( 'cart.updated', 'checkout.contact', 'cart.emptied', 'customer.idle', 'store.disconnected', 'customer.erase' );

	/**
	 * Build the request headers for one delivery.
	 *
	 * @param string $secret      Shared secret from the connect flow.
	 * @param string $store_url   Store URL without trailing slash.
	 * @param string $topic       One of self::TOPICS.
	 * @param string $body        Raw body bytes exactly as they will be sent.
	 * @param int    $timestamp   Unix seconds at send time (the service rejects > 300 s skew).
	 * @param string $delivery_id UUID4, kept across retries so the service can drop duplicates.
	 * @return array<string, string>
	 * @throws \InvalidArgumentException On an unknown topic or empty secret.
	 */
	public static function headers( string $secret, string $store_url, string $topic, string $body, int $timestamp, string $delivery_id ): array {
		if ( ! in_array( $topic, self::TOPICS, true ) ) {
			throw new \InvalidArgumentException( "Unknown Storeflow topic: {$topic}" );
		}
		if ( '' === $secret ) {
			throw new \InvalidArgumentException( 'Storeflow is not connected: no shared secret.' );
		}
		return array(
			'Content-Type'            => 'application/json',
			'X-Storeflow-Source'      => rtrim( $store_url, '/' ),
			'X-Storeflow-Topic'       => $topic,
			'X-Storeflow-Delivery-Id' => $delivery_id,
			'X-Storeflow-Timestamp'   => (string) $timestamp,
			'X-Storeflow-Signature'   => self::signature( $secret, $timestamp, $body ),
		);
	}

	/**
	 * Base64 (standard, padded) HMAC-SHA256 of "<timestamp>.<body>".
	 *
	 * @param string $secret    Shared secret.
	 * @param int    $timestamp Unix seconds.
	 * @param string $body      Raw body bytes.
	 */
	public static function signature( string $secret, int $timestamp, string $body ): string {
		return base64_encode( hash_hmac( 'sha256', $timestamp . '.' . $body, $secret, true ) );
	}

	/**
	 * A random UUID4 for X-Storeflow-Delivery-Id.
	 */
	public static function delivery_id(): string {
		$bytes    = random_bytes( 16 );
		$bytes[6] = chr( ( ord( $bytes[6] ) & 0x0f ) | 0x40 );
		$bytes[8] = chr( ( ord( $bytes[8] ) & 0x3f ) | 0x80 );
		return vsprintf( '%s%s-%s-%s-%s-%s%s%s', str_split( bin2hex( $bytes ), 4 ) );
	}
}
