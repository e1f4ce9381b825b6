<?php
/**
 * The newsletter sign-up form: the `[storeflow_signup]` shortcode and the `storeflow/signup`
 * block (rendered on the server, the same form).
 *
 * @package Storeflow
 */

namespace Storeflow;

defined( 'ABSPATH' ) || exit;

/**
 * The form posts to admin-post.php; the handler checks the nonce, the required consent box and
 * a honeypot, then queues the signed `newsletter.signup` event (through the same outbox as the
 * checkout's contact and consent). The service treats it as a sign-up: the welcome series
 * starts, after the shopper's confirmation click when the shop asks for double opt-in.
 */
final class Signup {

	public const SHORTCODE = 'storeflow_signup';
	public const BLOCK     = 'storeflow/signup';
	public const ACTION    = 'storeflow_signup';
	public const NONCE     = 'storeflow-signup';
	public const TOPIC     = 'newsletter.signup';
	/** Left empty by people; bots fill every field. */
	public const HONEYPOT = 'storeflow_website';
	/** Query argument the form's page gets back: thanks | invalid. */
	public const RESULT = 'storeflow_signup';

	/**
	 * Hook into WordPress.
	 */
	public static function register(): void {
		add_shortcode( self::SHORTCODE, array( self::class, 'render' ) );
		add_action( 'init', array( self::class, 'register_block' ) );
		add_action( 'admin_post_nopriv_' . self::ACTION, array( self::class, 'handle' ) );
		add_action( 'admin_post_' . self::ACTION, array( self::class, 'handle' ) );
	}

	/**
	 * The block: server-rendered by render(); the editor shows the same HTML.
	 */
	public static function register_block(): void {
		if ( ! function_exists( 'register_block_type' ) ) {
			return;
		}
		wp_register_script( 'storeflow-signup-block', plugins_url( 'assets/js/signup-block.js', STOREFLOW_FILE ), array( 'wp-blocks', 'wp-element', 'wp-server-side-render', 'wp-i18n' ), STOREFLOW_VERSION, true );
		register_block_type(
			self::BLOCK,
			array(
				'title'           => __( 'Newsletter sign-up (Storeflow)', 'storeflow' ),
				'category'        => 'widgets',
				'editor_script'   => 'storeflow-signup-block',
				'render_callback' => array( self::class, 'render' ),
			)
		);
	}

	/**
	 * The form (empty while the store is not connected: nowhere to send it).
	 *
	 * @param mixed $atts Shortcode or block attributes (none used).
	 */
	public static function render( $atts = array() ): string {
		if ( ! Settings::capture_active() ) {
			return '';
		}
		$html = '<form class="storeflow-signup" method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '">' . self::result_notice();
		$html .= '<input type="hidden" name="action" value="' . esc_attr( self::ACTION ) . '">';
		$html .= '<input type="hidden" name="_wpnonce" value="' . esc_attr( wp_create_nonce( self::NONCE ) ) . '">';
		$html .= '<p><label for="storeflow-signup-email">' . esc_html__( 'Email address', 'storeflow' ) . '</label> <input type="email" id="storeflow-signup-email" name="email" required autocomplete="email"></p>';
		$html .= '<p><label for="storeflow-signup-name">' . esc_html__( 'First name (optional)', 'storeflow' ) . '</label> <input type="text" id="storeflow-signup-name" name="first_name" maxlength="100" autocomplete="given-name"></p>';
		if ( Settings::asks_birthday() ) {
			$html .= '<p><label for="storeflow-signup-birthday">' . esc_html__( 'Birthday (optional): we will send you a gift', 'storeflow' ) . '</label> <input type="date" id="storeflow-signup-birthday" name="birthday" max="' . esc_attr( gmdate( 'Y-m-d' ) ) . '" autocomplete="bday"></p>';
		}
		$html .= '<p style="display:none" aria-hidden="true"><input type="text" name="' . esc_attr( self::HONEYPOT ) . '" tabindex="-1" autocomplete="off"></p>';
		$html .= '<p><label><input type="checkbox" name="consent" value="1" required> ' . esc_html( self::consent_label() ) . '</label></p>';
		$html .= '<p><button type="submit">' . esc_html__( 'Sign up', 'storeflow' ) . '</button></p></form>';
		return $html;
	}

	/**
	 * What the shopper agrees to by ticking the box.
	 */
	public static function consent_label(): string {
		/* translators: %s: the shop's name */
		return sprintf( __( 'I want to receive emails with news and offers from %s. I can unsubscribe at any time.', 'storeflow' ), get_bloginfo( 'name' ) );
	}

	/**
	 * The form submitted: queue the sign-up, then back to the page it came from.
	 */
	public static function handle(): void {
		$result = self::accept( wp_unslash( $_POST ), time() ); // phpcs:ignore WordPress.Security.NonceVerification.Missing -- accept() verifies it.
		$back   = wp_get_referer();
		wp_safe_redirect( add_query_arg( self::RESULT, null === $result ? 'invalid' : 'thanks', $back ? $back : home_url( '/' ) ) );
		exit;
	}

	/**
	 * Check a submitted form and queue its `newsletter.signup`; returns the delivery id, or null
	 * when it is refused (bad nonce, no consent, no valid email, a bot).
	 *
	 * @param array<string, mixed> $posted Unslashed form fields.
	 * @param int                  $now    Unix time.
	 */
	public static function accept( array $posted, int $now ): ?string {
		$nonce = is_string( $posted['_wpnonce'] ?? null ) ? $posted['_wpnonce'] : '';
		if ( ! Settings::capture_active() || ! wp_verify_nonce( $nonce, self::NONCE ) ) {
			return null;
		}
		if ( '' !== ( is_string( $posted[ self::HONEYPOT ] ?? null ) ? $posted[ self::HONEYPOT ] : '' ) ) {
			return null;
		}
		$contact = Contact::sanitize(
			array(
				'email'      => $posted['email'] ?? '',
				'first_name' => $posted['first_name'] ?? '',
				// A crafted request can send consent[]=1: only a string can say yes.
				'consent'    => is_string( $posted['consent'] ?? null ) ? $posted['consent'] : '',
			)
		);
		if ( empty( $contact['email'] ) || true !== $contact['consent'] ) {
			return null; // Consent is given by ticking the box, never presumed.
		}
		$user_id = get_current_user_id();
		return Sender::queue(
			self::TOPIC,
			array(
				'email'       => $contact['email'],
				'first_name'  => $contact['first_name'] ?? '',
				'customer_id' => $user_id > 0 ? $user_id : null,
				'locale'      => determine_locale(),
				'consent'     => true,
				'birthday'    => Settings::asks_birthday() ? Birthday::sanitize( $posted['birthday'] ?? '', $now ) : null,
				'source'      => 'signup_form',
				'updated_at'  => gmdate( 'Y-m-d\TH:i:s+00:00', $now ),
			)
		);
	}

	/**
	 * The line above the form after a submission.
	 */
	private static function result_notice(): string {
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- display only, from a fixed list.
		$result = isset( $_GET[ self::RESULT ] ) && is_string( $_GET[ self::RESULT ] ) ? sanitize_key( $_GET[ self::RESULT ] ) : '';
		if ( 'thanks' === $result ) {
			return '<p class="storeflow-signup-thanks" role="status">' . esc_html__( 'Thank you for signing up! Please check your inbox: we may ask you to confirm your address.', 'storeflow' ) . '</p>';
		}
		if ( 'invalid' === $result ) {
			return '<p class="storeflow-signup-error" role="alert">' . esc_html__( 'Please enter a valid email address and tick the box to sign up.', 'storeflow' ) . '</p>';
		}
		return '';
	}
}
