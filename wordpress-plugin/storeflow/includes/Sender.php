<?php
/**
 * Delivers events to the service through Action Scheduler, so no shopper ever waits on us.
 *
 * @package Storeflow
 */

namespace Storeflow;

defined( 'ABSPATH' ) || exit;

/**
 * The body waits in the plugin's outbox table (see Outbox for why not in the action's
 * arguments), an Action Scheduler async action delivers it, failures are retried with growing
 * delays, and the delivery id stays the same so the service keeps one.
 *
 * Action Scheduler (3.4, in WooCommerce 6.6) starts its async queue runner only on admin
 * requests, so on a quiet store an event queued by a shopper would wait for WP-Cron, which runs
 * when the next visitor comes. The request that queued an event therefore starts the runner
 * itself at shutdown: a non-blocking loopback request that runs the due actions at once.
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

	/** Shutdown priority of start_runner(): after WooCommerce saves the session (20). */
	public const RUNNER_PRIORITY = 30;

	/**
	 * Whether this request queued an event, so the queue runner should be started at shutdown.
	 *
	 * @var bool
	 */
	private static bool $queued = false;

	/**
	 * Queue one event; returns the delivery id.
	 *
	 * @param string               $topic Event topic.
	 * @param array<string, mixed> $body  Event body.
	 */
	public static function queue( string $topic, array $body ): string {
		$delivery_id = EventSigner::delivery_id();
		Outbox::put( $delivery_id, $topic, Json::compact( $body ), is_string( $body['email'] ?? null ) ? $body['email'] : '' );
		as_enqueue_async_action( self::HOOK, array( $delivery_id, $topic, 1 ), self::GROUP );
		self::$queued = true;
		return $delivery_id;
	}

	/**
	 * Shutdown: when this request queued an event, start Action Scheduler's async queue runner
	 * (a non-blocking loopback to admin-ajax.php) so the event leaves now, not at the next
	 * WP-Cron run. The runner itself refuses to start while a batch is already running.
	 */
	public static function start_runner(): void {
		if ( ! self::$queued ) {
			return;
		}
		self::$queued = false;
		if ( ! class_exists( \ActionScheduler::class ) || ! class_exists( \ActionScheduler_AsyncRequest_QueueRunner::class ) ) {
			return; // WP-Cron runs the queue instead.
		}
		$runner = new \ActionScheduler_AsyncRequest_QueueRunner( \ActionScheduler::store() );
		$runner->maybe_dispatch();
	}

	/**
	 * Action Scheduler callback: send one queued event, schedule a retry on a passing failure.
	 *
	 * @param string $delivery_id Delivery id (outbox key).
	 * @param string $topic       Event topic.
	 * @param int    $attempt     1 for the first try.
	 */
	public static function deliver( string $delivery_id, string $topic, int $attempt = 1 ): void {
		$body = Outbox::body( $delivery_id );
		if ( null === $body ) {
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
		Outbox::remove( $delivery_id );
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
		if ( function_exists( 'wc_get_logger' ) ) { // Uninstall may run with WooCommerce inactive.
			wc_get_logger()->log( $level, $message, array( 'source' => 'storeflow' ) );
		}
	}
}
