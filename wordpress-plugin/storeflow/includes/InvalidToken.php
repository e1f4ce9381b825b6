<?php
/**
 * Raised when a signed token cannot be trusted.
 *
 * @package Storeflow
 */

namespace Storeflow;

defined( 'ABSPATH' ) || defined( 'STOREFLOW_CLI' ) || exit;

/**
 * The message is a short reason code (malformed, bad_signature, expired) safe to log, never shown
 * to shoppers.
 */
final class InvalidToken extends \RuntimeException {
}
