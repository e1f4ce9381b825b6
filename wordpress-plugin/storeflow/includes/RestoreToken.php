<?php
/**
 * The cart-restore link the service puts in reminder messages.
 *
 * @package Storeflow
 */

namespace Storeflow;

defined( 'ABSPATH' ) || defined( 'STOREFLOW_CLI' ) || exit;

/**
 * A verified restore token: which cart, which lines, which discount code.
 *
 * Claims: {"k": cart key, "i": [[product_id, variation_id, quantity], ...], "d": code|null,
 * "x": expiry unix seconds}.
 */
final class RestoreToken {

	/**
	 * Cart lines as [product_id, variation_id, quantity].
	 *
	 * @var list<array{0:int,1:int,2:int}>
	 */
	public array $items;

	/**
	 * Keep the fields a checked token proved.
	 *
	 * @param string                         $cart_key Cart key the service knows this cart by.
	 * @param list<array{0:int,1:int,2:int}> $items    Lines to put back.
	 * @param string|null                    $discount Coupon code to apply, if any.
	 */
	private function __construct( public string $cart_key, array $items, public ?string $discount ) {
		$this->items = $items;
	}

	/**
	 * Verify and decode a token.
	 *
	 * @param string $secret Shared secret.
	 * @param string $token  Value of ?storeflow_restore.
	 * @param int    $now    Current unix time.
	 * @throws InvalidToken When tampered, malformed or expired.
	 */
	public static function parse( string $secret, string $token, int $now ): self {
		$claims = SignedToken::verify( $secret, $token );
		if ( ! is_int( $claims['x'] ?? null ) || ! is_string( $claims['k'] ?? null ) || ! is_array( $claims['i'] ?? null ) ) {
			throw new InvalidToken( 'malformed' );
		}
		if ( $claims['x'] <= $now ) {
			throw new InvalidToken( 'expired' );
		}
		$discount = $claims['d'] ?? null;
		if ( null !== $discount && ( ! is_string( $discount ) || '' === $discount ) ) {
			throw new InvalidToken( 'malformed' );
		}
		return new self( $claims['k'], array_map( array( self::class, 'line' ), array_values( $claims['i'] ) ), $discount );
	}

	/**
	 * One [product_id, variation_id, quantity] line, checked.
	 *
	 * @param mixed $line Raw claim.
	 * @return array{0:int,1:int,2:int}
	 * @throws InvalidToken When the line is not three non-negative integers with quantity > 0.
	 */
	private static function line( $line ): array {
		if ( ! is_array( $line ) || 3 !== count( $line ) || array_values( $line ) !== $line ) {
			throw new InvalidToken( 'malformed' );
		}
		foreach ( $line as $number ) {
			if ( ! is_int( $number ) || $number < 0 ) {
				throw new InvalidToken( 'malformed' );
			}
		}
		if ( 0 === $line[0] || 0 === $line[2] ) {
			throw new InvalidToken( 'malformed' );
		}
		return array( $line[0], $line[1], $line[2] );
	}
}
