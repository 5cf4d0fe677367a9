#!/usr/bin/perl
# geo_lookup.pl - look addresses up with MaxMind::DB::Reader, the pure-Perl
# reader (an implementation independent of libmaxminddb), for the geo test.
#
#   geo_lookup.pl COUNTRY.mmdb ASN.mmdb < addresses > answers
#
# One answer per address line: country<TAB>asn<TAB>org, each empty (asn 0)
# when unknown, reading the same fields as src/geo/geo.c: country.iso_code,
# registered_country.iso_code or country_code; autonomous_system_number and
# autonomous_system_organization.
use strict;
use warnings;

use MaxMind::DB::Reader ();

die "usage: $0 COUNTRY.mmdb ASN.mmdb < addresses\n" unless @ARGV == 2;
my $country = MaxMind::DB::Reader->new(file => $ARGV[0]);
my $asn = MaxMind::DB::Reader->new(file => $ARGV[1]);
binmode STDOUT, ':raw';
while (my $ip = <STDIN>) {
	chomp $ip;
	my $c = $country->record_for_address($ip) // {};
	my $a = $asn->record_for_address($ip) // {};
	my $cc = ($c->{country} // {})->{iso_code} // ($c->{registered_country} // {})->{iso_code}
		// $c->{country_code} // '';
	my $org = $a->{autonomous_system_organization} // '';
	utf8::encode($org) if utf8::is_utf8($org);
	print join("\t", $cc, $a->{autonomous_system_number} // 0, $org), "\n";
}
