#!/usr/bin/perl
# make_geo_mmdb.pl - write the test bed's own country and ASN databases.
#
#   make_geo_mmdb.pl --mapping MAP.json --country COUNTRY.mmdb --asn ASN.mmdb
#                    [--layout geolite2|ip-location-db]
#
# MAP.json maps networks to what the databases should say about them:
#
#   {"127.1.0.0/16": {"country": "US", "asn": 64501, "org": "Testbed US"},
#    "127.1.2.0/24": {"country": "FR"},
#    "::1/128":      {"asn": 64999}}
#
# A network without "country" is left out of the country database, one
# without "asn" out of the ASN database ("org" goes with "asn").  Networks
# may nest: more specific ones are written last and win, so a /24 inside a
# /16 overrides the /16 for its addresses only.
#
# --layout geolite2 (default) writes MaxMind's GeoLite2-Country and
# GeoLite2-ASN field layout (country.iso_code, registered_country.iso_code;
# autonomous_system_number, autonomous_system_organization);
# --layout ip-location-db writes the @ip-location-db layout (a flat
# country_code; the ASN fields are the same as GeoLite2's).  Both are IPv6
# trees holding IPv4 under ::/96, as those files are.
#
# MaxMind::DB::Writer removes reserved networks (127/8 among them) by
# default; the test bed lives on 127/8, so remove_reserved_networks => 0.
use strict;
use warnings;

use Getopt::Long qw(GetOptions);
use JSON::PP ();
use MaxMind::DB::Writer::Tree ();

my ($mapping, $country_out, $asn_out, $layout) = (undef, undef, undef, 'geolite2');
GetOptions(
	'mapping=s' => \$mapping,
	'country=s' => \$country_out,
	'asn=s'     => \$asn_out,
	'layout=s'  => \$layout,
) or die "usage: $0 --mapping MAP.json --country OUT.mmdb --asn OUT.mmdb [--layout L]\n";
die "$0: --mapping, --country and --asn are required\n"
	unless defined $mapping && defined $country_out && defined $asn_out;
die "$0: --layout must be geolite2 or ip-location-db, not '$layout'\n"
	unless $layout eq 'geolite2' || $layout eq 'ip-location-db';

open my $fh, '<', $mapping or die "$0: cannot read $mapping: $!\n";
my $text = do { local $/; <$fh> };
close $fh;
my $map = eval { JSON::PP->new->utf8->decode($text) };
die "$0: $mapping is not valid JSON: $@" unless defined $map;
die "$0: $mapping must hold one JSON object\n" unless ref $map eq 'HASH';

my %types = (
	country                        => 'map',
	registered_country             => 'map',
	iso_code                       => 'utf8_string',
	country_code                   => 'utf8_string',
	autonomous_system_number       => 'uint32',
	autonomous_system_organization => 'utf8_string',
);

sub new_tree {
	my ($type, $desc) = @_;
	return MaxMind::DB::Writer::Tree->new(
		ip_version               => 6,
		record_size              => 24,
		database_type            => $type,
		languages                => ['en'],
		description              => { en => $desc },
		remove_reserved_networks => 0,
		map_key_type_callback    => sub { $types{ $_[0] } },
	);
}

# Check a network and return (family, prefix length) for sorting.
sub parse_cidr {
	my ($cidr) = @_;
	if ($cidr =~ m{^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})/(\d{1,2})$}) {
		die "$0: $mapping: network '$cidr': bad IPv4 address\n"
			if grep { $_ > 255 } ($1, $2, $3, $4);
		die "$0: $mapping: network '$cidr': prefix length over 32\n" if $5 > 32;
		return (4, $5);
	}
	if ($cidr =~ m{^([0-9a-fA-F:]+)/(\d{1,3})$}) {
		my ($ip, $len) = ($1, $2);
		die "$0: $mapping: network '$cidr': prefix length over 128\n" if $len > 128;
		return (6, $len) if $ip =~ /:/;
	}
	die "$0: $mapping: '$cidr' is not a network (ADDRESS/PREFIX)\n";
}

my $is_geolite2 = $layout eq 'geolite2';
my $country_tree = new_tree($is_geolite2 ? 'GeoLite2-Country' : 'country ipvAll',
	"swarmwatch test bed country database ($layout layout)");
my $asn_tree = new_tree($is_geolite2 ? 'GeoLite2-ASN' : 'asn ipvAll',
	"swarmwatch test bed ASN database ($layout layout)");

my @nets = map { [ $_, parse_cidr($_) ] } keys %$map;
# Less specific first, so that nested networks override their parents.
for my $n (sort { $a->[2] <=> $b->[2] || $a->[0] cmp $b->[0] } @nets) {
	my ($cidr) = @$n;
	my $v = $map->{$cidr};
	die "$0: $mapping: the value of '$cidr' must be an object\n" unless ref $v eq 'HASH';
	for my $k (keys %$v) {
		die "$0: $mapping: '$cidr' has unknown field '$k'\n"
			unless $k eq 'country' || $k eq 'asn' || $k eq 'org';
	}
	if (defined $v->{country}) {
		my $cc = $v->{country};
		die "$0: $mapping: '$cidr': country '$cc' is not an ISO 3166 alpha-2 code\n"
			unless $cc =~ /^[A-Z]{2}$/;
		my $rec = $is_geolite2
			? { country => { iso_code => $cc }, registered_country => { iso_code => $cc } }
			: { country_code => $cc };
		$country_tree->insert_network($cidr, $rec);
	}
	if (defined $v->{asn}) {
		my $asn = $v->{asn};
		die "$0: $mapping: '$cidr': asn '$asn' is not a number from 1 to 4294967295\n"
			unless $asn =~ /^\d{1,10}$/ && $asn >= 1 && $asn <= 4294967295;
		my $rec = { autonomous_system_number => $asn + 0 };
		$rec->{autonomous_system_organization} = "$v->{org}" if defined $v->{org};
		$asn_tree->insert_network($cidr, $rec);
	} elsif (defined $v->{org}) {
		die "$0: $mapping: '$cidr' has an org but no asn\n";
	}
}

for my $pair ([$country_tree, $country_out], [$asn_tree, $asn_out]) {
	my ($tree, $path) = @$pair;
	my $tmp = "$path.tmp.$$";
	open my $out, '>:raw', $tmp or die "$0: cannot write $tmp: $!\n";
	$tree->write_tree($out);
	close $out or die "$0: cannot write $tmp: $!\n";
	rename $tmp, $path or die "$0: cannot rename $tmp to $path: $!\n";
}
