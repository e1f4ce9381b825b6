<?php
/**
 * The short-lived token that lets the embedded admin page trust the WordPress user.
 *
 * @package Storeflow
 */

namespace Storeflow;

defined( 'ABSPATH' ) || defined( 'STOREFLOW_CLI' ) || exit;

/**
 * Mints {"store", "user", "exp"} tokens the service verifies at /embedded/woocommerce.
 */
final class EmbeddedToken {

	/** Five minutes: long enough to load the iframe, short enough that a leaked URL goes stale. */
	public const LIFETIME = 300;

	/**
	 * Mint a token for one admin user.
	 *
	 * @param string $secret    Shared secret.
	 * @param string $store_url Store URL without trailing slash.
	 * @param int    $user_id   WordPress user id.
	 * @param int    $now       Current unix time.
	 */
	public static function mint( string $secret, string $store_url, int $user_id, int $now ): string {
		return SignedToken::sign(
			$secret,
			array(
				'store' => rtrim( $store_url, '/' ),
				'user'  => $user_id,
				'exp'   => $now + self::LIFETIME,
			)
		);
	}
}
