<?php
/**
 * Everything the fake WordPress remembers, reset before each test.
 *
 * @package Storeflow
 */

/**
 * Recorded state of the fake WordPress/WooCommerce world.
 */
final class StoreflowTestWorld {
	/** @var array<string, mixed> */
	public static array $options = array();
	/** @var array<string, bool> autoload flag per option */
	public static array $autoload = array();
	/** @var list<array{0:string,1:string,2:string}> setting, code, message */
	public static array $settings_errors = array();
	/** @var list<array{0:string,1:string}> message, type */
	public static array $notices = array();
	/** @var list<array{url:string, args:array<string,mixed>}> */
	public static array $requests = array();
	/** @var list<array<string,mixed>|\WP_Error> queued responses for wp_remote_post */
	public static array $responses = array();
	/** @var list<array{hook:string, args:array<int,mixed>, group:string, at:int}> */
	public static array $actions = array();
	public static int $user_id = 0;
	public static string $home_url = 'https://shop.example';
	public static ?object $wc = null;
	/** @var array<string, list<array{0:callable, 1:int, 2:int}>> */
	public static array $hooks = array();
	public static bool $admin = false;
	public static string $wp_version = '6.0.1';
	/** @var array<string, object> users by email */
	public static array $users = array();
	/** @var list<array{0:string,1:string}> hook, group given to as_unschedule_all_actions */
	public static array $unscheduled = array();
	/** @var array<int, WC_Webhook> the store's webhooks by id */
	public static array $webhooks = array();
	/** Times Action Scheduler's async queue runner was asked to start. */
	public static int $async_dispatches = 0;
	/** @var list<string> plugins deactivated through deactivate_plugins() */
	public static array $deactivated = array();
	/** @var array<string, string> text domain => languages path given to load_plugin_textdomain */
	public static array $text_domains = array();
	/** Product id of the single product page being shown (0: not a product page). */
	public static int $queried_product = 0;
	/** @var array<string, array{src:string, args:mixed, data:array<string, mixed>}> enqueued scripts */
	public static array $scripts = array();
	/** @var array<int, array<string, mixed>> user meta by user id */
	public static array $user_meta = array();
	/** @var array<string, callable> shortcode tag => callback */
	public static array $shortcodes = array();
	/** @var array<string, array<string, mixed>> block name => registration arguments */
	public static array $blocks = array();
	/** The page a form was posted from (wp_get_referer), '' for none. */
	public static string $referer = '';
	/** @var array<string, array{value:string, expire:int, secure:bool, httponly:bool}> cookies set */
	public static array $cookies = array();
	/** @var array<string, bool> WP Consent API answers by category (absent: allowed) */
	public static array $consent = array();

	public static function reset(): void {
		self::$options         = array();
		self::$autoload        = array();
		self::$settings_errors = array();
		self::$notices         = array();
		self::$requests        = array();
		self::$responses       = array();
		self::$actions         = array();
		self::$user_id         = 0;
		self::$home_url        = 'https://shop.example';
		self::$wc              = (object) array( 'version' => '6.6.0', 'cart' => null, 'session' => null );
		self::$hooks           = array();
		self::$admin           = false;
		self::$wp_version      = '6.0.1';
		self::$users           = array();
		self::$unscheduled     = array();
		self::$webhooks        = array();
		self::$async_dispatches = 0;
		self::$deactivated     = array();
		self::$text_domains    = array();
		self::$queried_product = 0;
		self::$scripts         = array();
		self::$user_meta       = array();
		self::$shortcodes      = array();
		self::$blocks          = array();
		self::$referer         = '';
		self::$cookies         = array();
		self::$consent         = array();
		$GLOBALS['wpdb']       = new StoreflowFakeWpdb();
		$_GET                  = array();
		$_POST                 = array();
		$_REQUEST              = array();
	}
}
