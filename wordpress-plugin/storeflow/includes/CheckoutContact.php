<?php
/**
 * Captures the email, phone, name and consent a shopper types at checkout, before any order.
 *
 * @package Storeflow
 */

namespace Storeflow;

defined( 'ABSPATH' ) || exit;

/**
 * Classic checkout: a small script posts the fields to a `wc_ajax` endpoint as they are typed.
 * Block checkout: the Store API's customer update carries them. Both end in remember().
 */
final class CheckoutContact {

	public const AJAX_ACTION = 'storeflow_contact';
	public const NONCE       = 'storeflow-contact';
	/** Classic checkout checkbox name. */
	public const CONSENT_FIELD = 'storeflow_consent';
	/** Block checkout additional field id (namespace/name, as WooCommerce requires). */
	public const BLOCK_FIELD = 'storeflow/consent';
	/** Order meta keys; no leading underscore so the REST order webhook carries them to the service. */
	public const META_CONSENT  = 'storeflow_consent';
	public const META_CART_KEY = 'storeflow_cart_key';
	/** Our contact field => classic checkout input name. */
	private const CLASSIC_FIELDS = array(
		'email'      => 'billing_email',
		'phone'      => 'billing_phone',
		'first_name' => 'billing_first_name',
		'last_name'  => 'billing_last_name',
	);

	/**
	 * Hook into WooCommerce.
	 */
	public static function register(): void {
		add_action( 'wp_enqueue_scripts', array( self::class, 'enqueue_script' ) );
		add_action( 'wc_ajax_' . self::AJAX_ACTION, array( self::class, 'ajax' ) );
		add_action( 'woocommerce_checkout_update_order_review', array( self::class, 'from_order_review' ) );
		// Under the billing fields: the order review area is re-rendered by AJAX and would reset the box.
		add_action( 'woocommerce_after_checkout_billing_form', array( self::class, 'render_consent' ) );
		add_action( 'woocommerce_checkout_create_order', array( self::class, 'tag_classic_order' ) );
		add_action( 'woocommerce_init', array( self::class, 'register_block_field' ) );
		add_action( 'woocommerce_store_api_cart_update_customer_from_request', array( self::class, 'from_store_api' ), 10, 2 );
		add_action( 'woocommerce_store_api_checkout_update_order_from_request', array( self::class, 'tag_block_order' ), 10, 2 );
	}

	/**
	 * Merge sanitised fields into the session; a real change queues checkout.contact.
	 *
	 * @param array<string, mixed> $raw Unslashed input.
	 */
	public static function remember( array $raw ): bool {
		$shopper = Shopper::current();
		if ( null === $shopper || ! Settings::capture_active() ) {
			return false;
		}
		$changed = $shopper->remember_contact( Contact::sanitize( $raw ) );
		if ( $changed ) {
			CartCapture::contact_changed();
		}
		return $changed;
	}

	/**
	 * Load the capture script on the classic checkout page only.
	 */
	public static function enqueue_script(): void {
		if ( ! Settings::capture_active() || ! is_checkout() || is_wc_endpoint_url( 'order-received' ) ) {
			return;
		}
		wp_enqueue_script( 'storeflow-checkout-contact', plugins_url( 'assets/js/checkout-contact.js', STOREFLOW_FILE ), array(), STOREFLOW_VERSION, array( 'in_footer' => true, 'strategy' => 'defer' ) );
		wp_localize_script(
			'storeflow-checkout-contact',
			'storeflowContact',
			array(
				'url'          => \WC_AJAX::get_endpoint( self::AJAX_ACTION ),
				'nonce'        => wp_create_nonce( self::NONCE ),
				'consentField' => self::CONSENT_FIELD,
				'fields'       => self::CLASSIC_FIELDS,
			)
		);
	}

	/**
	 * The `wc_ajax` endpoint the classic checkout script posts to.
	 */
	public static function ajax(): void {
		check_ajax_referer( self::NONCE, 'security' );
		$raw = array();
		foreach ( array( 'email', 'phone', 'first_name', 'last_name', 'consent' ) as $field ) {
			// A crafted request can send field[]=x: only strings are read, never cast.
			if ( isset( $_POST[ $field ] ) && is_string( $_POST[ $field ] ) ) {
				$raw[ $field ] = sanitize_text_field( wp_unslash( $_POST[ $field ] ) ); // Contact::sanitize checks each field's form.
			}
		}
		wp_send_json_success( array( 'changed' => self::remember( $raw ) ) );
	}

	/**
	 * WooCommerce's own order-review refresh (nonce checked by WooCommerce) posts the whole
	 * classic checkout form: a fallback for browsers where our script did not run.
	 *
	 * @param string $posted_data URL-encoded checkout form.
	 */
	public static function from_order_review( $posted_data ): void {
		parse_str( (string) $posted_data, $form );
		$raw = array();
		foreach ( self::CLASSIC_FIELDS as $field => $name ) {
			if ( isset( $form[ $name ] ) && is_string( $form[ $name ] ) ) {
				$raw[ $field ] = $form[ $name ];
			}
		}
		$raw['consent'] = ! empty( $form[ self::CONSENT_FIELD ] );
		if ( ! empty( $raw['email'] ) || ! empty( $raw['phone'] ) ) {
			self::remember( $raw );
		}
	}

	/**
	 * The optional consent checkbox on the classic checkout, unticked unless this shopper ticked
	 * it before (consent must be given, not presumed).
	 */
	public static function render_consent(): void {
		if ( ! Settings::capture_active() ) {
			return;
		}
		$shopper = Shopper::current();
		woocommerce_form_field(
			self::CONSENT_FIELD,
			array(
				'type'  => 'checkbox',
				'class' => array( 'form-row-wide', 'storeflow-consent' ),
				'label' => esc_html( Settings::consent_label() ),
			),
			null !== $shopper && true === $shopper->contact()['consent'] ? 1 : 0
		);
	}

	/**
	 * Record consent and the cart key on a classic checkout order, so the service can tie the
	 * order to the cart it tracked. WooCommerce has verified the checkout nonce by now.
	 *
	 * @param \WC_Order $order Order being created.
	 */
	public static function tag_classic_order( $order ): void {
		// phpcs:ignore WordPress.Security.NonceVerification.Missing
		self::tag_order( $order, ! empty( $_POST[ self::CONSENT_FIELD ] ) );
	}

	/**
	 * Record consent and the cart key on a block checkout order.
	 *
	 * @param \WC_Order        $order   Order being placed.
	 * @param \WP_REST_Request $request Store API checkout request.
	 */
	public static function tag_block_order( $order, $request ): void {
		$fields = $request->get_param( 'additional_fields' );
		self::tag_order( $order, Contact::consent( is_array( $fields ) ? ( $fields[ self::BLOCK_FIELD ] ?? false ) : false ) );
	}

	/**
	 * Write the order meta.
	 *
	 * @param \WC_Order $order   Order.
	 * @param bool|null $consent Consent given.
	 */
	private static function tag_order( $order, ?bool $consent ): void {
		$order->update_meta_data( self::META_CONSENT, $consent ? 'yes' : 'no' );
		$shopper = Shopper::current();
		if ( null !== $shopper ) {
			$order->update_meta_data( self::META_CART_KEY, $shopper->cart_key() );
		}
	}

	/**
	 * Block checkout: the consent checkbox as a Checkout block additional field (WooCommerce 8.9+).
	 */
	public static function register_block_field(): void {
		if ( ! function_exists( 'woocommerce_register_additional_checkout_field' ) || ! Settings::capture_active() ) {
			return;
		}
		woocommerce_register_additional_checkout_field(
			array(
				'id'       => self::BLOCK_FIELD,
				'label'    => Settings::consent_label(),
				'location' => 'contact',
				'type'     => 'checkbox',
				'required' => false,
			)
		);
	}

	/**
	 * Block checkout pushes the address form (email included) to the Store API as it is typed.
	 *
	 * @param \WC_Customer     $customer Customer updated from the request.
	 * @param \WP_REST_Request $request  Store API request.
	 */
	public static function from_store_api( $customer, $request ): void {
		$raw    = array(
			'email'      => $customer->get_billing_email(),
			'phone'      => $customer->get_billing_phone(),
			'first_name' => $customer->get_billing_first_name(),
			'last_name'  => $customer->get_billing_last_name(),
		);
		$fields = $request->get_param( 'additional_fields' );
		if ( is_array( $fields ) && array_key_exists( self::BLOCK_FIELD, $fields ) ) {
			$raw['consent'] = $fields[ self::BLOCK_FIELD ];
		}
		self::remember( $raw );
	}
}
