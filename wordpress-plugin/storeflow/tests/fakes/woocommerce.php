<?php
/**
 * Fake WooCommerce: a product, a cart and a session that keep plain arrays.
 *
 * @package Storeflow
 */

// phpcs:disable

class WC_Product {
	public function __construct( public int $id, public string $name, public int $image_id = 0, public bool $purchasable = true ) {}
	public function get_id() { return $this->id; }
	public function get_name() { return $this->name; }
	public function get_image_id() { return $this->image_id; }
	public function get_permalink() { return "https://shop.example/product/{$this->id}/"; }
	public function is_purchasable() { return $this->purchasable; }
}

class WC_Cart {
	/** @var array<string, array<string, mixed>> */
	public array $lines = array();
	/** @var list<string> */
	public array $coupons = array();
	/** @var array<int, WC_Product> products add_to_cart can find */
	public array $catalog = array();
	/** @var array<string, bool> coupon codes apply_coupon accepts */
	public array $valid_coupons = array();
	public float $total = 0.0;

	public function get_cart() { return $this->lines; }
	public function get_applied_coupons() { return $this->coupons; }
	public function get_subtotal() { return array_sum( array_column( $this->lines, 'line_subtotal' ) ); }
	public function get_subtotal_tax() { return array_sum( array_column( $this->lines, 'line_subtotal_tax' ) ); }
	public function get_total( $context = 'view' ) { return $this->total; }
	public function is_empty() { return array() === $this->lines; }
	public function empty_cart() { $this->lines = array(); $this->coupons = array(); }
	public function has_discount( $code ) { return in_array( $code, $this->coupons, true ); }
	public function add_to_cart( $product_id, $quantity = 1, $variation_id = 0, $variation = array() ) {
		$id = $variation_id ?: $product_id;
		if ( ! isset( $this->catalog[ $id ] ) || ! $this->catalog[ $id ]->is_purchasable() ) {
			return false;
		}
		$key                 = md5( "{$product_id}-{$variation_id}" );
		$this->lines[ $key ] = array(
			'product_id'        => $product_id,
			'variation_id'      => $variation_id,
			'variation'         => $variation,
			'quantity'          => $quantity,
			'line_total'        => 10.0 * $quantity,
			'line_tax'          => 0.0,
			'line_subtotal'     => 10.0 * $quantity,
			'line_subtotal_tax' => 0.0,
			'data'              => $this->catalog[ $id ],
		);
		return $key;
	}
	public function apply_coupon( $code ) {
		if ( empty( $this->valid_coupons[ $code ] ) ) {
			return false;
		}
		$this->coupons[] = $code;
		return true;
	}
}

class WC_Session {
	/** @var array<string, mixed> */
	public array $data = array();
	public function __construct( public string $customer_id = 't_0a1b2c3d4e5f' ) {}
	public function get( $key, $default = null ) { return $this->data[ $key ] ?? $default; }
	public function set( $key, $value ) { $this->data[ $key ] = $value; }
	public function get_customer_id() { return $this->customer_id; }
	public function set_customer_session_cookie( $set ) {}
}

function WC() { return StoreflowTestWorld::$wc; }
function get_woocommerce_currency() { return 'PLN'; }
function wc_get_price_decimals() { return 2; }
function wc_sanitize_phone_number( $phone ) { return preg_replace( '/[^\d+\-\(\) ]/', '', $phone ); }
function wc_add_notice( $message, $type = 'success' ) { StoreflowTestWorld::$notices[] = array( $message, $type ); }
function wc_get_checkout_url() { return 'https://shop.example/checkout/'; }
function wc_get_cart_url() { return 'https://shop.example/cart/'; }
function wc_setcookie( $name, $value, $expire = 0, $secure = false, $httponly = false ) {
	StoreflowTestWorld::$cookies[ $name ] = array( 'value' => $value, 'expire' => $expire, 'secure' => $secure, 'httponly' => $httponly );
}
function wc_get_product_variation_attributes( $variation_id ) { return array( 'attribute_pa_size' => 'm' ); }
class WooCommerce {}

class WC_Webhook {
	public function __construct( public int $id, public string $name, public string $delivery_url, public string $topic = 'order.created' ) {}
	public function get_id() { return $this->id; }
	public function get_name( $context = 'view' ) { return $this->name; }
	public function get_delivery_url( $context = 'view' ) { return $this->delivery_url; }
	public function delete( $force_delete = false ) { unset( StoreflowTestWorld::$webhooks[ $this->id ] ); return true; }
}
function wc_get_webhook( $id ) { return StoreflowTestWorld::$webhooks[ (int) $id ] ?? null; }
class WC_Data_Store {
	public static function load( $object_type ) {
		if ( 'webhook' !== $object_type ) {
			throw new Exception( 'Invalid data store.' );
		}
		return new class() {
			public function search_webhooks( $args ) {
				$ids = array_keys( StoreflowTestWorld::$webhooks );
				return -1 === ( $args['limit'] ?? 10 ) ? $ids : array_slice( $ids, (int) ( $args['offset'] ?? 0 ), (int) ( $args['limit'] ?? 10 ) );
			}
		};
	}
}

/** Action Scheduler's async runner: dispatching is counted, not sent. */
class ActionScheduler {
	public static function store() { return new stdClass(); }
}
class ActionScheduler_AsyncRequest_QueueRunner {
	public function __construct( $store ) {}
	public function maybe_dispatch() { ++StoreflowTestWorld::$async_dispatches; }
}
