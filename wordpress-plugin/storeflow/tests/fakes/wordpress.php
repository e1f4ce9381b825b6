<?php
/**
 * Fake WordPress functions, behaving like the real ones for the inputs the tests use.
 *
 * @package Storeflow
 */

// phpcs:disable

class WP_Error {
	public function __construct( public string $code = '', public string $message = '' ) {}
	public function get_error_message(): string { return $this->message; }
}

function is_wp_error( $thing ): bool { return $thing instanceof WP_Error; }
function __( $text, $domain = 'default' ) { return $text; }
function esc_html__( $text, $domain = 'default' ) { return htmlspecialchars( $text, ENT_QUOTES ); }
function get_option( $name, $default = false ) { return StoreflowTestWorld::$options[ $name ] ?? $default; }
function update_option( $name, $value, $autoload = null ) {
	StoreflowTestWorld::$options[ $name ]  = $value;
	StoreflowTestWorld::$autoload[ $name ] = (bool) $autoload;
	return true;
}
function delete_option( $name ) { unset( StoreflowTestWorld::$options[ $name ] ); return true; }
function add_settings_error( $setting, $code, $message, $type = 'error' ) {
	StoreflowTestWorld::$settings_errors[] = array( $setting, $code, $message );
}
function home_url( $path = '' ) { return StoreflowTestWorld::$home_url . $path; }
function untrailingslashit( $value ) { return rtrim( $value, '/\\' ); }
function wp_parse_url( $url, $component = -1 ) { return parse_url( $url, $component ); }
function esc_url_raw( $url, $protocols = null ) {
	$url    = trim( $url );
	$scheme = strtolower( (string) parse_url( $url, PHP_URL_SCHEME ) );
	if ( '' === $url || ! in_array( $scheme, $protocols ?? array( 'http', 'https' ), true ) ) {
		return '';
	}
	return str_replace( array( ' ', '"', "'", '<', '>' ), '', $url );
}
function sanitize_text_field( $text ) {
	$text = strip_tags( (string) $text );
	return trim( preg_replace( '/[\r\n\t ]+/', ' ', $text ) );
}
function sanitize_email( $email ) { return preg_replace( '/[^a-zA-Z0-9+_.@-]/', '', trim( (string) $email ) ); }
function is_email( $email ) { return false !== filter_var( $email, FILTER_VALIDATE_EMAIL ) ? $email : false; }
function wp_strip_all_tags( $text ) { return trim( strip_tags( $text ) ); }
function determine_locale() { return 'pl_PL'; }
function get_current_user_id() { return StoreflowTestWorld::$user_id; }
function wp_get_attachment_image_url( $id, $size = 'thumbnail' ) { return "https://shop.example/wp-content/uploads/{$id}-{$size}.jpg"; }
function wp_remote_post( $url, $args = array() ) {
	StoreflowTestWorld::$requests[] = array( 'url' => $url, 'args' => $args );
	return array_shift( StoreflowTestWorld::$responses ) ?? array( 'response' => array( 'code' => 200 ), 'body' => '' );
}
function wp_remote_retrieve_response_code( $response ) { return is_array( $response ) ? $response['response']['code'] : ''; }
function wp_remote_retrieve_body( $response ) { return is_array( $response ) ? $response['body'] : ''; }
function wc_get_logger() { return new class() { public function __call( $name, $args ) {} }; }
function as_enqueue_async_action( $hook, $args = array(), $group = '' ) {
	StoreflowTestWorld::$actions[] = array( 'hook' => $hook, 'args' => $args, 'group' => $group, 'at' => 0 );
	return count( StoreflowTestWorld::$actions );
}
function as_schedule_single_action( $timestamp, $hook, $args = array(), $group = '' ) {
	StoreflowTestWorld::$actions[] = array( 'hook' => $hook, 'args' => $args, 'group' => $group, 'at' => $timestamp );
	return count( StoreflowTestWorld::$actions );
}

/** Thrown by the fake wp_safe_redirect so code that exits after redirecting can be tested. */
final class StoreflowRedirect extends RuntimeException {}

function admin_url( $path = '' ) { return 'https://shop.example/wp-admin/' . $path; }
function add_query_arg( $key, $value, $url ) { return $url . ( str_contains( $url, '?' ) ? '&' : '?' ) . $key . '=' . rawurlencode( $value ); }
function current_user_can( $capability ) { return in_array( $capability, array( 'manage_woocommerce', 'activate_plugins' ), true ) && StoreflowTestWorld::$user_id > 0; }
function wp_safe_redirect( $location, $status = 302 ) { throw new StoreflowRedirect( $location ); }
function wp_unslash( $value ) { return is_string( $value ) ? stripslashes( $value ) : $value; }

function add_action( $hook, $callback, $priority = 10, $accepted_args = 1 ) {
	StoreflowTestWorld::$hooks[ $hook ][] = array( $callback, $priority, $accepted_args );
	return true;
}
function add_filter( $hook, $callback, $priority = 10, $accepted_args = 1 ) { return add_action( $hook, $callback, $priority, $accepted_args ); }
function is_admin() { return StoreflowTestWorld::$admin; }
function is_ssl() { return str_starts_with( StoreflowTestWorld::$home_url, 'https://' ); }
/** The WP Consent API, as a consent plugin provides it. */
function wp_has_consent( $category ) { return StoreflowTestWorld::$consent[ $category ] ?? true; }
function plugin_basename( $file ) { return 'storeflow/' . basename( $file ); }

/** Thrown by the fake wp_die and wp_send_json_* so code that ends the request can be tested. */
final class StoreflowDie extends RuntimeException {
	public function __construct( string $message, public mixed $data = null ) { parent::__construct( $message ); }
}

function get_bloginfo( $show = '' ) { return 'version' === $show ? StoreflowTestWorld::$wp_version : ( 'name' === $show ? 'Sklep Ani' : '' ); }
function deactivate_plugins( $plugins ) { StoreflowTestWorld::$deactivated[] = $plugins; }
function wp_die( $message = '', $title = '', $args = array() ) { throw new StoreflowDie( (string) $message ); }
function wp_send_json_success( $data = null ) { throw new StoreflowDie( 'json success', $data ); }
function esc_html( $text ) { return htmlspecialchars( (string) $text, ENT_QUOTES ); }
function esc_attr( $text ) { return htmlspecialchars( (string) $text, ENT_QUOTES ); }
function esc_url( $url ) { return htmlspecialchars( (string) $url, ENT_QUOTES ); }
function esc_attr__( $text, $domain = 'default' ) { return esc_attr( $text ); }
function esc_html_e( $text, $domain = 'default' ) { echo esc_html( $text ); }
function sanitize_key( $key ) { return preg_replace( '/[^a-z0-9_\-]/', '', strtolower( (string) $key ) ); }
function wp_create_nonce( $action = -1 ) { return substr( md5( $action . '|' . StoreflowTestWorld::$user_id ), 0, 10 ); }
function wp_verify_nonce( $nonce, $action = -1 ) { return is_string( $nonce ) && hash_equals( wp_create_nonce( $action ), $nonce ) ? 1 : false; }
function check_ajax_referer( $action = -1, $query_arg = false, $stop = true ) {
	$nonce = $_REQUEST[ $query_arg ] ?? '';
	if ( ! wp_verify_nonce( $nonce, $action ) ) {
		throw new StoreflowDie( '-1' );
	}
	return 1;
}
function nocache_headers() {}
function load_plugin_textdomain( $domain, $deprecated = false, $path = false ) { StoreflowTestWorld::$text_domains[ $domain ] = $path; return true; }
function register_activation_hook( $file, $callback ) { add_action( 'activate_' . plugin_basename( $file ), $callback ); }
function get_user_by( $field, $value ) { return StoreflowTestWorld::$users[ strtolower( (string) $value ) ] ?? false; }
function as_unschedule_all_actions( $hook, $args = array(), $group = '' ) { StoreflowTestWorld::$unscheduled[] = array( $hook, $group ); }
function check_admin_referer( $action = -1, $query_arg = '_wpnonce' ) {
	if ( ! wp_verify_nonce( $_REQUEST[ $query_arg ] ?? '', $action ) ) {
		throw new StoreflowDie( 'The link you followed has expired.' );
	}
	return 1;
}
function settings_errors( $setting = '' ) {}
function settings_fields( $group ) { echo '<input type="hidden" name="option_page" value="' . esc_attr( $group ) . '">'; }
function submit_button( $text = null, $type = 'primary', $name = 'submit', $wrap = true ) { echo '<input type="submit" value="' . esc_attr( $text ?? 'Save Changes' ) . '">'; }
function checked( $checked, $current = true, $echo = true ) { return (string) $checked === (string) $current ? ' checked=\'checked\'' : ''; }
function wp_nonce_field( $action = -1 ) { echo '<input type="hidden" name="_wpnonce" value="' . esc_attr( wp_create_nonce( $action ) ) . '">'; }
function wp_date( $format, $timestamp = null ) { return gmdate( (string) $format, (int) $timestamp ); }
function is_product() { return StoreflowTestWorld::$queried_product > 0; }
function get_queried_object_id() { return StoreflowTestWorld::$queried_product; }
function plugins_url( $path = '', $plugin = '' ) { return 'https://shop.example/wp-content/plugins/storeflow/' . ltrim( $path, '/' ); }
function wp_enqueue_script( $handle, $src = '', $deps = array(), $ver = false, $args = array() ) {
	StoreflowTestWorld::$scripts[ $handle ] = array( 'src' => $src, 'args' => $args, 'data' => array() );
}
function wp_localize_script( $handle, $name, $data ) {
	StoreflowTestWorld::$scripts[ $handle ]['data'][ $name ] = $data;
	return true;
}

function add_shortcode( $tag, $callback ) { StoreflowTestWorld::$shortcodes[ $tag ] = $callback; }
function register_block_type( $name, $args = array() ) { StoreflowTestWorld::$blocks[ $name ] = $args; return true; }
function wp_register_script( $handle, $src, $deps = array(), $ver = false, $args = array() ) { StoreflowTestWorld::$scripts[ $handle ] = array( 'src' => $src, 'args' => $args, 'data' => array() ); return true; }
function get_user_meta( $user_id, $key = '', $single = false ) { return StoreflowTestWorld::$user_meta[ (int) $user_id ][ $key ] ?? ( $single ? '' : array() ); }
function update_user_meta( $user_id, $key, $value ) { StoreflowTestWorld::$user_meta[ (int) $user_id ][ $key ] = $value; return true; }
function delete_user_meta( $user_id, $key ) { unset( StoreflowTestWorld::$user_meta[ (int) $user_id ][ $key ] ); return true; }
function wp_get_referer() { return '' !== StoreflowTestWorld::$referer ? StoreflowTestWorld::$referer : false; }
