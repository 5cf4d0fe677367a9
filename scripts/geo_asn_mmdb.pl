#!/usr/bin/perl
# geo_asn_mmdb.pl - build the ASN database (a MaxMind DB in the GeoLite2-ASN
# layout) from @ip-location-db/asn's CSV files.
#
#   geo_asn_mmdb.pl OUT.mmdb asn-ipv4.csv [asn-ipv6.csv ...]
#
# The npm registry carries @ip-location-db's ASN data only as CSV (its
# asn-mmdb packages are not published there; docs/geo.md), so
# scripts/deps.sh runs this once after `npm ci` in data/geo/.  Each line is
#
#   first address,last address,AS number,AS organisation
#
# with RFC 4180 quoting of the organisation ("LLC ""SPUTNIK""").  The
# ranges are inclusive and may not be CIDR-aligned; MaxMind::DB::Writer
# splits them into networks.  A malformed line stops the build, naming the
# file and line.  The result is written to OUT.mmdb.tmp and renamed.
use strict;
use warnings;

use MaxMind::DB::Writer::Tree ();

die "usage: $0 OUT.mmdb CSV...\n" if @ARGV < 2;
my ($out, @csv) = @ARGV;

my %types = (
	autonomous_system_number       => 'uint32',
	autonomous_system_organization => 'utf8_string',
);
my $tree = MaxMind::DB::Writer::Tree->new(
	ip_version            => 6,
	record_size           => 32,
	database_type         => 'GeoLite2-ASN',
	languages             => ['en'],
	description           => { en => 'ASN data of @ip-location-db/asn (CC BY 4.0: RouteViews, NRO, DB-IP)' },
	map_key_type_callback => sub { $types{ $_[0] } },
	# the data has no reserved networks; keep them out as MaxMind does
	remove_reserved_networks => 1,
	# overlapping ranges: the later line wins, as in the CSV's own order
	merge_strategy => 'none',
);

my $ip = qr/[0-9A-Fa-f.:]+/;
my $n = 0;
for my $file (@csv) {
	open my $fh, '<:encoding(UTF-8)', $file or die "$0: cannot read $file: $!\n";
	while (my $line = <$fh>) {
		$line =~ s/\r?\n\z//;
		next if $line eq '';
		my ($first, $last, $asn, $org);
		if ($line =~ /^($ip),($ip),(\d{1,10}),"((?:[^"]|"")*)"$/) {
			($first, $last, $asn, $org) = ($1, $2, $3, $4);
			$org =~ s/""/"/g;
		} elsif ($line =~ /^($ip),($ip),(\d{1,10}),([^",]*)$/) {
			($first, $last, $asn, $org) = ($1, $2, $3, $4);
		} else {
			die "$0: $file line $.: not 'first,last,asn,organisation'\n";
		}
		die "$0: $file line $.: AS number $asn out of range\n"
			if $asn < 1 || $asn > 4294967295;
		my %rec = (autonomous_system_number => $asn + 0);
		$rec{autonomous_system_organization} = $org if $org ne '';
		eval { $tree->insert_range($first, $last, \%rec); 1 }
			or die "$0: $file line $.: $@";
		$n++;
	}
	close $fh;
}
die "$0: no ranges read from @csv\n" if $n == 0;

my $tmp = "$out.tmp.$$";
open my $fh, '>:raw', $tmp or die "$0: cannot write $tmp: $!\n";
$tree->write_tree($fh);
close $fh or die "$0: cannot write $tmp: $!\n";
rename $tmp, $out or die "$0: cannot rename $tmp to $out: $!\n";
print STDERR "geo_asn_mmdb: $n ranges into $out\n";
