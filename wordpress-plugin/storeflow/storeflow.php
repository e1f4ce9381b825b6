<?php
/**
 * Plugin Name:          Storeflow for WooCommerce
 * Plugin URI:           https://storeflow.io/woocommerce
 * Description:          Connects your WooCommerce store to Storeflow: abandoned-cart and win-back messages, cross-sell and courier labels. Captures carts and checkout contacts, which WooCommerce itself does not report.
 * Version:              0.1.0
 * Requires at least:    6.5
 * Tested up to:         6.8
 * Requires PHP:         8.1
 * Requires Plugins:     woocommerce
 * WC requires at least: 8.9
 * WC tested up to:      9.8
 * Author:               Storeflow
 * License:              GPL-2.0-or-later
 * License URI:          https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:          storeflow
 *
 * @package Storeflow
 */

defined( 'ABSPATH' ) || exit;

define( 'STOREFLOW_VERSION', '0.1.0' );
define( 'STOREFLOW_FILE', __FILE__ );

require_once __DIR__ . '/includes/autoload.php';

add_action( 'before_woocommerce_init', array( Storeflow\Plugin::class, 'declare_compatibility' ) );
add_action( 'plugins_loaded', array( Storeflow\Plugin::class, 'boot' ) );
