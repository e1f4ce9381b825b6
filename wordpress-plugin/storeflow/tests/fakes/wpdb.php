<?php
/**
 * A fake $wpdb that keeps tables as arrays of rows and understands the SQL the plugin writes:
 * SELECT cols FROM t [WHERE c = v|c LIKE v [AND ...]] [ORDER BY c ASC|DESC] [LIMIT n],
 * DELETE FROM t [WHERE ...], DROP TABLE IF EXISTS t, SHOW TABLES LIKE v; plus insert/delete.
 * Anything else throws, so a query the fake does not understand fails the test loudly.
 *
 * @package Storeflow
 */

// phpcs:disable

final class StoreflowFakeWpdb {
	public string $prefix  = 'wp_';
	public string $options = 'wp_options';
	public int $insert_id  = 0;
	/** @var array<string, list<array<string, mixed>>> */
	public array $tables = array();
	/** @var list<string> every query run, for assertions */
	public array $queries = array();

	public function get_charset_collate() { return 'DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci'; }

	public function esc_like( $text ) { return addcslashes( $text, '_%\\' ); }

	public function prepare( $query, ...$args ) {
		if ( 1 === count( $args ) && is_array( $args[0] ) ) {
			$args = $args[0];
		}
		$i = 0;
		return preg_replace_callback(
			'/%[sdf%]/',
			function ( $m ) use ( &$i, $args ) {
				if ( '%%' === $m[0] ) {
					return '%';
				}
				$value = $args[ $i++ ];
				return '%d' === $m[0] ? (string) (int) $value : ( '%f' === $m[0] ? (string) (float) $value : "'" . addslashes( (string) $value ) . "'" );
			},
			$query
		);
	}

	public function insert( $table, $data, $format = null ) {
		if ( ! isset( $this->tables[ $table ] ) ) {
			return false;
		}
		$this->tables[ $table ][] = $data;
		++$this->insert_id;
		return 1;
	}

	public function delete( $table, $where, $where_format = null ) {
		$before                  = count( $this->tables[ $table ] ?? array() );
		$this->tables[ $table ] = array_values(
			array_filter( $this->tables[ $table ] ?? array(), fn( $row ) => array_intersect_assoc( array_map( 'strval', $where ), array_map( 'strval', $row ) ) !== array_map( 'strval', $where ) )
		);
		return $before - count( $this->tables[ $table ] );
	}

	public function get_results( $query, $output = OBJECT ) {
		$rows = $this->select( $query );
		return ARRAY_A === $output ? $rows : array_map( fn( $row ) => (object) $row, $rows );
	}

	public function get_col( $query ) {
		return array_map( fn( $row ) => reset( $row ), $this->select( $query ) );
	}

	public function get_var( $query ) {
		if ( preg_match( "/^SHOW TABLES LIKE '(.*)'$/s", trim( $query ), $m ) ) {
			$this->queries[] = $query;
			$name = str_replace( array( '\\_', '\\%' ), array( '_', '%' ), stripslashes( $m[1] ) );
			return isset( $this->tables[ $name ] ) ? $name : null;
		}
		$rows = $this->select( $query );
		return $rows ? reset( $rows[0] ) : null;
	}

	public function query( $query ) {
		$this->queries[] = $query;
		$query           = trim( $query );
		if ( preg_match( '/^DROP TABLE IF EXISTS `?(\w+)`?$/', $query, $m ) ) {
			unset( $this->tables[ $m[1] ] );
			return true;
		}
		if ( preg_match( '/^DELETE FROM `?(\w+)`?(?: WHERE (.*))?$/s', $query, $m ) ) {
			$before                  = count( $this->tables[ $m[1] ] ?? array() );
			$keep                    = fn( $row ) => isset( $m[2] ) && ! $this->matches( $row, $m[2] );
			$this->tables[ $m[1] ] = array_values( array_filter( $this->tables[ $m[1] ] ?? array(), $keep ) );
			return $before - count( $this->tables[ $m[1] ] );
		}
		throw new LogicException( "fake wpdb does not understand: {$query}" );
	}

	/** @return list<array<string, mixed>> */
	private function select( string $query ): array {
		$this->queries[] = $query;
		$pattern         = '/^SELECT (.+?) FROM `?(\w+)`?(?: WHERE (.+?))?(?: ORDER BY (\w+)(?: (ASC|DESC))?)?(?: LIMIT (\d+))?$/s';
		if ( ! preg_match( $pattern, trim( preg_replace( '/\s+/', ' ', $query ) ), $m ) ) {
			throw new LogicException( "fake wpdb does not understand: {$query}" );
		}
		$table = $this->options === $m[2] ? $this->option_rows() : ( $this->tables[ $m[2] ] ?? array() );
		$rows  = array_values( array_filter( $table, fn( $row ) => empty( $m[3] ) || $this->matches( $row, $m[3] ) ) );
		if ( ! empty( $m[4] ) ) {
			usort( $rows, fn( $a, $b ) => ( $a[ $m[4] ] <=> $b[ $m[4] ] ) * ( 'DESC' === ( $m[5] ?? '' ) ? -1 : 1 ) );
		}
		if ( isset( $m[6] ) && '' !== $m[6] ) {
			$rows = array_slice( $rows, 0, (int) $m[6] );
		}
		$cols = array_map( 'trim', explode( ',', $m[1] ) );
		return array_map( fn( $row ) => '*' === $cols[0] ? $row : array_intersect_key( $row, array_flip( $cols ) ) + array_fill_keys( $cols, null ), $rows );
	}

	/** wp_options as rows, from the fake option store. */
	private function option_rows(): array {
		$rows = array();
		foreach ( StoreflowTestWorld::$options as $name => $value ) {
			$rows[] = array( 'option_name' => $name, 'option_value' => $value );
		}
		return $rows;
	}

	private function matches( array $row, string $where ): bool {
		foreach ( preg_split( '/ AND /', $where ) as $condition ) {
			if ( ! preg_match( "/^`?(\w+)`? (=|LIKE) (?:'((?:[^'\\\\]|\\\\.)*)'|(-?\d+))$/s", trim( $condition ), $c ) ) {
				throw new LogicException( "fake wpdb does not understand the condition: {$condition}" );
			}
			$value  = isset( $c[4] ) && '' !== $c[4] ? $c[4] : stripslashes( $c[3] );
			$actual = (string) ( $row[ $c[1] ] ?? '' );
			if ( '=' === $c[2] && $actual !== (string) $value ) {
				return false;
			}
			if ( 'LIKE' === $c[2] ) {
				$regex = '';
				foreach ( preg_split( '/(\\\\[%_\\\\]|%|_)/', $value, -1, PREG_SPLIT_DELIM_CAPTURE ) as $part ) {
					$regex .= '%' === $part ? '.*' : ( '_' === $part ? '.' : preg_quote( 2 === strlen( $part ) && '\\' === $part[0] ? $part[1] : $part, '/' ) );
				}
				if ( ! preg_match( '/^' . $regex . '$/is', $actual ) ) {
					return false;
				}
			}
		}
		return true;
	}
}

if ( ! defined( 'OBJECT' ) ) {
	define( 'OBJECT', 'OBJECT' );
	define( 'ARRAY_A', 'ARRAY_A' );
}

/** dbDelta creates the table named in a CREATE TABLE statement (and remembers the statement). */
function dbDelta( $queries = '', $execute = true ) {
	global $wpdb;
	if ( preg_match( '/CREATE TABLE `?(\w+)`?/', $queries, $m ) ) {
		$wpdb->tables[ $m[1] ] = $wpdb->tables[ $m[1] ] ?? array();
		$wpdb->queries[]       = $queries;
	}
	return array();
}
