<?php
/**
 * Tells Storeflow which products a shopper looks at, for browse-abandonment emails.
 *
 * @package Storeflow
 */

namespace Storeflow;

defined( 'ABSPATH' ) || exit;

/**
 * On a product page, a small deferred script posts one product_viewed event straight to the
 * service's collector with navigator.sendBeacon (no request to this site, no PHP work per view).
 *
 * The collector knows the store by its URL and a public collect key derived from the shared
 * secret (HMAC), so both sides compute it and the secret never reaches the page. Where a
 * consent plugin implements the WP Consent API, the script sends nothing and sets no cookie
 * until the visitor allows marketing; it listens for consent given later.
 */
final class ProductViews {

	public const HANDLE = 'storeflow-product-views';
	/** First-party cookie holding the anonymous visitor id (set only when tracking is allowed). */
	public const COOKIE = 'storeflow_vid';
	/** WP Consent API category the script asks for: views feed marketing email. */
	public const CONSENT_CATEGORY = 'marketing';
	/** The landing URL's parameter carrying Storeflow's identity token (a click on its email). */
	public const IDENTITY_PARAM = 'sf_id';
	/** First-party cookie keeping that token (set only when tracking is allowed). */
	public const IDENTITY_COOKIE = 'storeflow_id';
	/** Seconds the token counts at Storeflow, and so the cookie's life. */
	public const IDENTITY_MAX_AGE = 2592000;

	/**
	 * Keep Storeflow's identity token from an email link that does not land on a product page
	 * (the cart restore link), as the product-page script keeps one from a landing URL: in the
	 * identity cookie, which that script reads (so not HttpOnly), and only where the WP Consent
	 * API (when present) allows the marketing category. Returns whether it was kept.
	 *
	 * @param mixed $token The landing URL's sf_id.
	 */
	public static function keep_identity( $token ): bool {
		if ( ! is_string( $token ) || 1 !== preg_match( '/^[A-Za-z0-9_.:=-]{8,512}$/', $token ) ) {
			return false; // Not a token Storeflow issues; the collector would refuse it anyway.
		}
		if ( function_exists( 'wp_has_consent' ) && ! wp_has_consent( self::CONSENT_CATEGORY ) ) {
			return false;
		}
		wc_setcookie( self::IDENTITY_COOKIE, $token, time() + self::IDENTITY_MAX_AGE, is_ssl(), false );
		return true;
	}

	/**
	 * Hook into WordPress.
	 */
	public static function register(): void {
		add_action( 'wp_enqueue_scripts', array( self::class, 'enqueue_script' ) );
		// Declares to the WP Consent API that this plugin asks before tracking.
		add_filter( 'wp_consent_api_registered_' . plugin_basename( STOREFLOW_FILE ), '__return_true' );
	}

	/**
	 * The public collect key: names the store to the collector, proves nothing secret.
	 *
	 * @param string $secret The shared secret of the connection.
	 */
	public static function collect_key( string $secret ): string {
		return substr( hash_hmac( 'sha256', 'storeflow collect key', $secret ), 0, 32 );
	}

	/**
	 * What the script needs for this product page.
	 *
	 * @param int $product_id The product shown.
	 * @return array<string, mixed>
	 */
	public static function config( int $product_id ): array {
		$config  = array(
			'endpoint'        => Settings::service_url() . '/collect/woocommerce',
			'shop'            => Settings::store_url(),
			'key'             => self::collect_key( Settings::secret() ),
			'productId'       => (string) $product_id,
			'cookie'          => self::COOKIE,
			'consentCategory' => self::CONSENT_CATEGORY,
			'identityParam'   => self::IDENTITY_PARAM,
			'identityCookie'  => self::IDENTITY_COOKIE,
			'identityMaxAge'  => self::IDENTITY_MAX_AGE,
		);
		$user_id = get_current_user_id();
		if ( $user_id > 0 ) {
			// A signed-in shopper is a WooCommerce customer: their views join their history.
			// Signed, so a script on any page cannot claim to be someone else.
			$config['customer'] = array(
				'id'  => (string) $user_id,
				'sig' => hash_hmac( 'sha256', 'customer:' . $user_id, Settings::secret() ),
			);
		}
		return $config;
	}

	/**
	 * This browser's anonymous visitor id, when the product-page script set one (which it does
	 * only where tracking is allowed). Sent with the shopper's cart and contact so that the
	 * service joins the views made before checkout to the customer the email names.
	 */
	public static function visitor_id(): ?string {
		// phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- checked against the pattern below.
		$raw = isset( $_COOKIE[ self::COOKIE ] ) && is_string( $_COOKIE[ self::COOKIE ] ) ? wp_unslash( $_COOKIE[ self::COOKIE ] ) : '';
		return 1 === preg_match( '/^[A-Za-z0-9_.:-]{8,64}$/', $raw ) ? $raw : null;
	}

	/**
	 * Load the script on single product pages only, while the store is connected.
	 */
	public static function enqueue_script(): void {
		if ( ! Settings::capture_active() || ! is_product() ) {
			return;
		}
		$product_id = (int) get_queried_object_id();
		if ( $product_id <= 0 ) {
			return;
		}
		wp_enqueue_script( self::HANDLE, plugins_url( 'assets/js/product-views.js', STOREFLOW_FILE ), array(), STOREFLOW_VERSION, array( 'in_footer' => true, 'strategy' => 'defer' ) );
		wp_localize_script( self::HANDLE, 'storeflowViews', self::config( $product_id ) );
	}
}
