<?php
/**
 * Delivers events to the service through Action Scheduler, so no shopper ever waits on us.
 *
 * @package Storeflow
 */

namespace Storeflow;

defined( 'ABSPATH' ) || exit;

/**
 * An outbox: the body is stored in a non-autoloaded option (Action Scheduler caps action
 * arguments at 8000 characters, a big cart exceeds that), an async action delivers it, failures
 * are retried with growing delays, and the delivery id stays the same so the service keeps one.
 */
final class Sender {

	public const HOOK  = 'storeflow_deliver_event';
	public const GROUP = 'storeflow';

	/** Attempts in total; with BACKOFF the last retry is about an hour and a half after the first. */
	public const MAX_ATTEMPTS = 6;

	/** Seconds before retry n (1-based): 30 s, 2 min, 8 min, 30 min, 1 h. */
	private const BACKOFF = array( 1 => 30, 2 => 120, 3 => 480, 4 => 1800, 5 => 3600 );

	/** Answers that will not change on a retry: our request is wrong or the store is unknown. */
	private const PERMANENT = array( 400, 401, 403, 404, 410, 422 );

	/**
	 * Queue one event; returns the delivery id.
	 *
	 * @param string               $topic Event topic.
	 * @param array<string, mixed> $body  Event body.
	 */
	public static function queue( string $topic, array $body ): string {
		$delivery_id = EventSigner::delivery_id();
		update_option( Settings::OUTBOX_PREFIX . $delivery_id, Json::compact( $body ), false );
		as_enqueue_async_action( self::HOOK, array( $delivery_id, $topic, 1 ), self::GROUP );
		return $delivery_id;
	}

	/**
	 * Action Scheduler callback: send one queued event, schedule a retry on a passing failure.
	 *
	 * @param string $delivery_id Delivery id (outbox key).
	 * @param string $topic       Event topic.
	 * @param int    $attempt     1 for the first try.
	 */
	public static function deliver( string $delivery_id, string $topic, int $attempt = 1 ): void {
		$body = get_option( Settings::OUTBOX_PREFIX . $delivery_id, null );
		if ( ! is_string( $body ) ) {
			return; // Already delivered by an overlapping runner, or the store was disconnected.
		}
		$status = self::post( $topic, $body, $delivery_id );
		if ( 'retry' === $status && $attempt < self::MAX_ATTEMPTS ) {
			as_schedule_single_action( time() + self::BACKOFF[ $attempt ], self::HOOK, array( $delivery_id, $topic, $attempt + 1 ), self::GROUP );
			return;
		}
		if ( 'sent' !== $status ) {
			self::log( 'warning', "Storeflow gave up on {$topic} delivery {$delivery_id} after attempt {$attempt} ({$status})." );
		}
		delete_option( Settings::OUTBOX_PREFIX . $delivery_id );
	}

	/**
	 * Send right now and wait: only for admin actions (disconnect), never on a shopper's page.
	 *
	 * @param string               $topic Event topic.
	 * @param array<string, mixed> $body  Event body.
	 * @return string sent|retry|rejected
	 */
	public static function send_now( string $topic, array $body ): string {
		return self::post( $topic, Json::compact( $body ), EventSigner::delivery_id() );
	}

	/**
	 * Sign at send time (the service refuses timestamps older than five minutes) and POST.
	 *
	 * @param string $topic       Event topic.
	 * @param string $body        Raw body.
	 * @param string $delivery_id Delivery id.
	 * @return string sent|retry|rejected
	 */
	private static function post( string $topic, string $body, string $delivery_id ): string {
		$secret = Settings::secret();
		if ( '' === $secret ) {
			return 'rejected';
		}
		$response = wp_remote_post(
			Settings::service_url() . '/webhooks/woocommerce',
			array(
				'headers'     => EventSigner::headers( $secret, Settings::store_url(), $topic, $body, time(), $delivery_id ),
				'body'        => $body,
				'timeout'     => 15,
				'redirection' => 0,
			)
		);
		if ( is_wp_error( $response ) ) {
			self::log( 'info', "Storeflow {$topic} delivery {$delivery_id} failed: " . $response->get_error_message() );
			return 'retry';
		}
		$code = (int) wp_remote_retrieve_response_code( $response );
		if ( $code >= 200 && $code < 300 ) {
			return 'sent';
		}
		self::log( 'info', "Storeflow {$topic} delivery {$delivery_id} answered HTTP {$code}." );
		return in_array( $code, self::PERMANENT, true ) ? 'rejected' : 'retry';
	}

	/**
	 * Log to WooCommerce > Status > Logs under the "storeflow" source.
	 *
	 * @param string $level   Level.
	 * @param string $message Message.
	 */
	private static function log( string $level, string $message ): void {
		wc_get_logger()->log( $level, $message, array( 'source' => 'storeflow' ) );
	}
}
