<?php
/**
 * Plugin Name:          Storeflow for WooCommerce
 * Plugin URI:           https://storeflow.io/woocommerce
 * Description:          Connects your WooCommerce store to Storeflow: abandoned-cart and win-back messages, cross-sell and courier labels. Captures carts and checkout contacts, which WooCommerce itself does not report.
 * Version:              0.1.0
 * Requires at least:    6.0
 * Tested up to:         6.1
 * Requires PHP:         8.1
 * Requires Plugins:     woocommerce
 * WC requires at least: 6.6
 * WC tested up to:      6.6
 * Author:               Storeflow
 * License:              GPL-2.0-or-later
 * License URI:          https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:          storeflow
 * Domain Path:          /languages
 *
 * @package Storeflow
 */

defined( 'ABSPATH' ) || exit;

define( 'STOREFLOW_VERSION', '0.1.0' );
define( 'STOREFLOW_FILE', __FILE__ );

require_once __DIR__ . '/includes/autoload.php';

register_activation_hook( __FILE__, array( Storeflow\Requirements::class, 'on_activation' ) );
add_action( 'before_woocommerce_init', array( Storeflow\Plugin::class, 'declare_compatibility' ) );
add_action( 'plugins_loaded', array( Storeflow\Plugin::class, 'boot' ) );
