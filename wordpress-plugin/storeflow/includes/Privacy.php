<?php
/**
 * Tools > Export / Erase Personal Data: what the plugin holds, and the erasure request to Storeflow.
 *
 * @package Storeflow
 */

namespace Storeflow;

defined( 'ABSPATH' ) || exit;

/**
 * The plugin itself keeps a shopper's details in events not yet delivered (the outbox) and the
 * birthday they chose to give (user and order meta `storeflow_birthday`). The exporter lists
 * those; the eraser deletes them and forwards the request to Storeflow as a signed
 * `customer.erase` event, so Storeflow's copy is erased too.
 */
final class Privacy {

	/** Topic of the erasure request sent to the service. */
	public const ERASURE_TOPIC = 'customer.erase';

	/** Body fields shown in an export, with their labels. */
	private const EXPORTED = array( 'email', 'phone', 'first_name', 'last_name', 'locale', 'consent' );

	/**
	 * Hook into WordPress's personal-data tools.
	 */
	public static function register(): void {
		add_filter( 'wp_privacy_personal_data_exporters', array( self::class, 'exporters' ) );
		add_filter( 'wp_privacy_personal_data_erasers', array( self::class, 'erasers' ) );
	}

	/**
	 * Register the exporter.
	 *
	 * @param array<string, array<string, mixed>> $exporters Registered exporters.
	 * @return array<string, array<string, mixed>>
	 */
	public static function exporters( $exporters ): array {
		$exporters                = is_array( $exporters ) ? $exporters : array();
		$exporters['storeflow'] = array(
			'exporter_friendly_name' => __( 'Storeflow', 'storeflow' ),
			'callback'               => array( self::class, 'export' ),
		);
		return $exporters;
	}

	/**
	 * Register the eraser.
	 *
	 * @param array<string, array<string, mixed>> $erasers Registered erasers.
	 * @return array<string, array<string, mixed>>
	 */
	public static function erasers( $erasers ): array {
		$erasers                = is_array( $erasers ) ? $erasers : array();
		$erasers['storeflow'] = array(
			'eraser_friendly_name' => __( 'Storeflow', 'storeflow' ),
			'callback'             => array( self::class, 'erase' ),
		);
		return $erasers;
	}

	/**
	 * Exporter callback: the events about this address still waiting to be sent.
	 *
	 * @param string $email Email address.
	 * @param int    $page  Page (one page is enough: the outbox is short-lived).
	 * @return array{data: list<array<string, mixed>>, done: bool}
	 */
	public static function export( $email, $page = 1 ): array {
		$labels = array(
			'email'      => __( 'Email', 'storeflow' ),
			'phone'      => __( 'Phone', 'storeflow' ),
			'first_name' => __( 'First name', 'storeflow' ),
			'last_name'  => __( 'Last name', 'storeflow' ),
			'locale'     => __( 'Language', 'storeflow' ),
			'consent'    => __( 'Agreed to reminders', 'storeflow' ),
		);
		$items  = array();
		foreach ( Outbox::for_email( (string) $email ) as $row ) {
			$body = json_decode( $row['body'], true );
			$data = array(
				array(
					'name'  => __( 'Event', 'storeflow' ),
					'value' => $row['topic'],
				),
				array(
					'name'  => __( 'Queued at (UTC)', 'storeflow' ),
					'value' => $row['created_at'],
				),
			);
			foreach ( self::EXPORTED as $field ) {
				if ( is_array( $body ) && isset( $body[ $field ] ) && is_scalar( $body[ $field ] ) ) {
					$value  = is_bool( $body[ $field ] ) ? ( $body[ $field ] ? __( 'Yes', 'storeflow' ) : __( 'No', 'storeflow' ) ) : (string) $body[ $field ];
					$data[] = array(
						'name'  => $labels[ $field ],
						'value' => $value,
					);
				}
			}
			$items[] = array(
				'group_id'          => 'storeflow',
				'group_label'       => __( 'Storeflow: cart details waiting to be sent', 'storeflow' ),
				'group_description' => __( 'Cart and checkout details the store has not yet sent to Storeflow.', 'storeflow' ),
				'item_id'           => 'storeflow-' . $row['delivery_id'],
				'data'              => $data,
			);
		}
		$user_id  = self::customer_id( (string) $email );
		$birthday = $user_id > 0 ? get_user_meta( $user_id, Birthday::FIELD, true ) : '';
		if ( is_string( $birthday ) && '' !== $birthday ) {
			$items[] = array(
				'group_id'    => 'storeflow',
				'group_label' => __( 'Storeflow: cart details waiting to be sent', 'storeflow' ),
				'item_id'     => 'storeflow-birthday',
				'data'        => array(
					array(
						'name'  => __( 'Birthday', 'storeflow' ),
						'value' => $birthday,
					),
				),
			);
		}
		return array(
			'data' => $items,
			'done' => true,
		);
	}

	/**
	 * Eraser callback: delete the unsent events about this address and ask Storeflow to erase
	 * what it holds. A Storeflow that cannot be reached gets the request through the outbox,
	 * retried like any event.
	 *
	 * @param string $email Email address.
	 * @param int    $page  Page.
	 * @return array{items_removed: bool, items_retained: bool, messages: list<string>, done: bool}
	 */
	public static function erase( $email, $page = 1 ): array {
		$email    = (string) $email;
		$removed  = Outbox::erase_email( $email ) > 0;
		$removed  = self::erase_birthday( $email ) || $removed;
		$retained = false;
		$messages = array();
		if ( ! Settings::is_connected() ) {
			$messages[] = __( 'Storeflow is not connected, so it was not asked to erase anything. If this store was connected before, ask Storeflow to erase this person\'s data.', 'storeflow' );
		} else {
			$body   = array(
				'email'        => $email,
				'customer_id'  => self::customer_id( $email ),
				'order_ids'    => self::order_ids( $email ),
				'requested_at' => gmdate( 'Y-m-d\TH:i:s+00:00' ),
			);
			$result = Sender::send_now( self::ERASURE_TOPIC, $body );
			if ( 'sent' === $result ) {
				$removed    = true;
				$messages[] = __( 'Storeflow was asked to erase this person\'s data and confirmed the request.', 'storeflow' );
			} elseif ( 'retry' === $result ) {
				Sender::queue( self::ERASURE_TOPIC, $body );
				$retained   = true;
				$messages[] = __( 'Storeflow could not be reached; the erasure request will be sent again automatically.', 'storeflow' );
			} else {
				$retained   = true;
				$messages[] = __( 'Storeflow refused the erasure request. Ask Storeflow to erase this person\'s data.', 'storeflow' );
			}
		}
		return array(
			'items_removed'  => $removed,
			'items_retained' => $retained,
			'messages'       => $messages,
			'done'           => true,
		);
	}

	/**
	 * Forget the birthday kept on the customer and on their orders; true when there was one.
	 *
	 * @param string $email Email address.
	 */
	private static function erase_birthday( string $email ): bool {
		$found   = false;
		$user_id = self::customer_id( $email );
		if ( $user_id > 0 && '' !== get_user_meta( $user_id, Birthday::FIELD, true ) ) {
			delete_user_meta( $user_id, Birthday::FIELD );
			$found = true;
		}
		foreach ( self::order_ids( $email ) as $order_id ) {
			$order = function_exists( 'wc_get_order' ) ? wc_get_order( $order_id ) : false;
			if ( is_object( $order ) && '' !== (string) $order->get_meta( Birthday::FIELD ) ) {
				$order->delete_meta_data( Birthday::FIELD );
				$order->save();
				$found = true;
			}
		}
		return $found;
	}

	/**
	 * The store's order ids placed with this email (Storeflow erases its copies of them too).
	 *
	 * @param string $email Email address.
	 * @return list<int>
	 */
	private static function order_ids( string $email ): array {
		if ( ! function_exists( 'wc_get_orders' ) ) {
			return array();
		}
		$ids = wc_get_orders(
			array(
				'billing_email' => $email,
				'limit'         => -1,
				'return'        => 'ids',
			)
		);
		return is_array( $ids ) ? array_values( array_map( 'intval', $ids ) ) : array();
	}

	/**
	 * The WordPress user (WooCommerce customer) id with this email, or 0 for a guest.
	 *
	 * @param string $email Email address.
	 */
	private static function customer_id( string $email ): int {
		$user = get_user_by( 'email', $email );
		return is_object( $user ) && isset( $user->ID ) ? (int) $user->ID : 0;
	}
}
