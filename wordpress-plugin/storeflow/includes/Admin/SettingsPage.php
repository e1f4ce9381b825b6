<?php
/**
 * WooCommerce > Storeflow: connection status, Connect/Disconnect and the capture settings.
 *
 * @package Storeflow
 */

namespace Storeflow\Admin;

use Storeflow\Sender;
use Storeflow\Settings;

defined( 'ABSPATH' ) || exit;

/**
 * The settings screen, using the Settings API (nonce and sanitising included).
 */
final class SettingsPage {

	public const SLUG  = 'storeflow';
	public const GROUP = 'storeflow';

	/**
	 * Hook the menu and the setting.
	 */
	public static function register(): void {
		add_action( 'admin_menu', array( self::class, 'menu' ) );
		add_action( 'admin_init', array( self::class, 'register_setting' ) );
		// options.php asks for manage_options by default; shop managers run this page.
		add_filter( 'option_page_capability_' . self::GROUP, fn() => 'manage_woocommerce' );
	}

	/**
	 * URL of this page.
	 */
	public static function url(): string {
		return admin_url( 'admin.php?page=' . self::SLUG );
	}

	/**
	 * Submenu entry under WooCommerce.
	 */
	public static function menu(): void {
		add_submenu_page( 'woocommerce', __( 'Storeflow', 'storeflow' ), __( 'Storeflow', 'storeflow' ), 'manage_woocommerce', self::SLUG, array( self::class, 'render' ) );
	}

	/**
	 * Register the option with its sanitiser.
	 */
	public static function register_setting(): void {
		register_setting(
			self::GROUP,
			Settings::OPTION,
			array(
				'type'              => 'array',
				'sanitize_callback' => array( Settings::class, 'sanitize' ),
				'default'           => array(),
			)
		);
	}

	/**
	 * The page.
	 */
	public static function render(): void {
		if ( ! current_user_can( 'manage_woocommerce' ) ) {
			wp_die( esc_html__( 'You are not allowed to manage Storeflow.', 'storeflow' ), 403 );
		}
		$settings = Settings::get();
		echo '<div class="wrap"><h1>' . esc_html__( 'Storeflow', 'storeflow' ) . '</h1>';
		self::notice();
		settings_errors(); // Pages outside Settings must show options.php's messages themselves.
		self::connection_box();
		self::delivery_box();
		echo '<form method="post" action="' . esc_url( admin_url( 'options.php' ) ) . '">';
		settings_fields( self::GROUP );
		echo '<table class="form-table" role="presentation">';
		self::row( 'service_url', __( 'Storeflow address', 'storeflow' ), '<input type="url" class="regular-text" id="storeflow_service_url" name="' . esc_attr( Settings::OPTION ) . '[service_url]" value="' . esc_attr( $settings['service_url'] ) . '" required>' );
		self::row( 'capture_enabled', __( 'Cart capture', 'storeflow' ), '<label><input type="checkbox" id="storeflow_capture_enabled" name="' . esc_attr( Settings::OPTION ) . '[capture_enabled]" value="1"' . checked( $settings['capture_enabled'], true, false ) . '> ' . esc_html__( 'Send carts and checkout contacts to Storeflow', 'storeflow' ) . '</label>' );
		self::row( 'consent_label', __( 'Consent checkbox text', 'storeflow' ), '<input type="text" class="large-text" id="storeflow_consent_label" name="' . esc_attr( Settings::OPTION ) . '[consent_label]" value="' . esc_attr( $settings['consent_label'] ) . '" placeholder="' . esc_attr( Settings::consent_label() ) . '" maxlength="200">' );
		self::row( 'ask_birthday', __( 'Birthday field', 'storeflow' ), '<label><input type="checkbox" id="storeflow_ask_birthday" name="' . esc_attr( Settings::OPTION ) . '[ask_birthday]" value="1"' . checked( $settings['ask_birthday'], true, false ) . '> ' . esc_html__( 'Ask shoppers for their birthday (optional) at checkout and in My Account, for the birthday email', 'storeflow' ) . '</label>' );
		echo '</table>';
		submit_button();
		echo '</form></div>';
	}

	/**
	 * Status and the Connect or Disconnect button.
	 */
	private static function connection_box(): void {
		$connection = Settings::connection();
		$connected  = Settings::is_connected();
		$action     = $connected ? Connection::DISCONNECT : Connection::CONNECT;
		echo '<div class="card"><h2>' . esc_html__( 'Connection', 'storeflow' ) . '</h2><p>';
		if ( $connected ) {
			/* translators: %s: date the store was connected */
			echo esc_html( sprintf( __( 'Connected since %s.', 'storeflow' ), wp_date( get_option( 'date_format' ), (int) $connection['connected_at'] ) ) );
		} else {
			echo esc_html( '' !== $connection['pending_secret'] ? __( 'Waiting for the connection to be approved.', 'storeflow' ) : __( 'Not connected.', 'storeflow' ) );
		}
		echo '</p><form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '">';
		echo '<input type="hidden" name="action" value="' . esc_attr( $action ) . '">';
		wp_nonce_field( $action );
		submit_button( $connected ? __( 'Disconnect', 'storeflow' ) : __( 'Connect to Storeflow', 'storeflow' ), $connected ? 'secondary' : 'primary', 'submit', false );
		echo '</form></div>';
	}

	/**
	 * How events travel: through Action Scheduler, started by the shopper's own request, and
	 * otherwise only when WP-Cron runs, which on a quiet store is when the next visitor comes.
	 */
	private static function delivery_box(): void {
		echo '<div class="card"><h2>' . esc_html__( 'How carts reach Storeflow', 'storeflow' ) . '</h2><p>';
		echo esc_html__( 'Carts and checkout contacts are sent in the background by WooCommerce\'s scheduler (Action Scheduler). The shopper\'s own visit starts it, so they normally reach Storeflow within seconds.', 'storeflow' );
		echo '</p><p>';
		echo esc_html__( 'If your host blocks requests from the site to itself, they wait for WP-Cron, and WP-Cron runs only when someone visits your site: on a quiet store a reminder can start hours late. Ask your host to run WP-Cron every minute from a real cron job.', 'storeflow' );
		echo '</p>';
		if ( defined( 'DISABLE_WP_CRON' ) && DISABLE_WP_CRON ) {
			echo '<p><strong>' . esc_html__( 'WP-Cron is switched off on this site (DISABLE_WP_CRON): make sure a cron job on your server runs it, or events wait until the shopper\'s next visit.', 'storeflow' ) . '</strong></p>';
		}
		$queue = admin_url( 'admin.php?page=wc-status&tab=action-scheduler&status=pending&s=' . Sender::HOOK );
		echo '<p><a href="' . esc_url( $queue ) . '">' . esc_html__( 'See the events waiting to be sent', 'storeflow' ) . '</a></p></div>';
	}

	/**
	 * One settings row; $control is built from escaped parts by the caller.
	 *
	 * @param string $id      Field id suffix.
	 * @param string $label   Label text.
	 * @param string $control Control HTML.
	 */
	private static function row( string $id, string $label, string $control ): void {
		// phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- $control is escaped where it is built.
		echo '<tr><th scope="row"><label for="storeflow_' . esc_attr( $id ) . '">' . esc_html( $label ) . '</label></th><td>' . $control . '</td></tr>';
	}

	/**
	 * The notice named in ?storeflow_notice after a Connect/Disconnect redirect.
	 */
	private static function notice(): void {
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- display only, from a fixed list.
		$code = isset( $_GET['storeflow_notice'] ) && is_string( $_GET['storeflow_notice'] ) ? sanitize_key( wp_unslash( $_GET['storeflow_notice'] ) ) : '';
		$notices = self::notices();
		if ( ! isset( $notices[ $code ] ) ) {
			return;
		}
		list( $type, $message ) = $notices[ $code ];
		echo '<div class="notice notice-' . esc_attr( $type ) . ' is-dismissible"><p>' . esc_html( $message ) . '</p></div>';
	}

	/**
	 * Notices shown after a redirect: code => [type, message].
	 *
	 * @return array<string, array{0:string, 1:string}>
	 */
	private static function notices(): array {
		return array(
			'connected'            => array( 'success', __( 'Storeflow is connected. Carts and orders now flow to Storeflow.', 'storeflow' ) ),
			'denied'               => array( 'warning', __( 'The connection was not approved, so Storeflow is not connected.', 'storeflow' ) ),
			'connect_failed'       => array( 'error', __( 'Storeflow could not be reached. Check the service address and try again.', 'storeflow' ) ),
			'return_refused'       => array( 'error', __( 'This approval link was not started from your session, so nothing was changed. Press "Connect to Storeflow" again.', 'storeflow' ) ),
			'disconnected'         => array( 'success', __( 'Storeflow is disconnected. Its API keys and webhooks were deleted from your store.', 'storeflow' ) ),
			'disconnected_offline' => array( 'warning', __( 'Disconnected here and Storeflow\'s API keys and webhooks were deleted from your store, but Storeflow could not be told. Remove the store in Storeflow too.', 'storeflow' ) ),
		);
	}
}
