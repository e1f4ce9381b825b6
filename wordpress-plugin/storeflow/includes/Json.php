<?php
/**
 * Compact JSON as the service expects it.
 *
 * @package Storeflow
 */

namespace Storeflow;

defined( 'ABSPATH' ) || defined( 'STOREFLOW_CLI' ) || exit;

/**
 * One encoder for event bodies and token payloads, so every signed byte is produced the same way.
 */
final class Json {

	/**
	 * Compact JSON without escaped slashes or unicode; fails loudly on unencodable input
	 * (invalid UTF-8 in a product name) instead of signing `false`.
	 *
	 * @param mixed $value Value to encode.
	 * @throws \JsonException When the value cannot be encoded.
	 */
	public static function compact( $value ): string {
		return json_encode( $value, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR );
	}
}
