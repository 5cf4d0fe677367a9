/*
 * release.h - parse a release name ("Fury.2014.DVDScr.XVID.AC3.HQ.Hive-CM8")
 * or a path from a torrent's file list into normalized title words and the
 * scene tags around them.
 *
 * What goes in: any bytes (not NUL-terminated; hostile input is fine).
 * Names longer than SW_RELEASE_MAX_NAME are cut there and flagged
 * SW_RELEASE_F_TRUNCATED.
 * What comes out: a struct sw_release filled in place.  The parser never
 * allocates and keeps no pointer into the input: every word is copied,
 * lowercased and folded to ASCII into out->words.text, so the struct may
 * outlive the name.  It is a few kilobytes; reuse one per thread.
 * Returned: SW_OK, or SW_E_INVALID when name is NULL with len > 0 or out is
 * NULL.  A name with no words parses to an empty title (n_title == 0).
 *
 * See release.c for the rules (where the title ends, which year is the
 * year, site tags, groups, containers).
 */
#ifndef SW_RELEASE_H
#define SW_RELEASE_H

#include <stddef.h>
#include <stdint.h>

#ifndef SW_RELEASE_MAX_NAME
#define SW_RELEASE_MAX_NAME 1024 /* bytes of a name looked at */
#endif
#ifndef SW_WORDS_MAX
#define SW_WORDS_MAX 32 /* words kept per name; later ones are dropped */
#endif
#ifndef SW_WORD_MAX_LEN
#define SW_WORD_MAX_LEN 31 /* bytes kept per word; the rest is cut */
#endif
#define SW_WORDS_TEXT_LEN   (SW_WORDS_MAX * (SW_WORD_MAX_LEN + 1))
#define SW_RELEASE_EXT_LEN  8  /* container extension, NUL included */
#define SW_RELEASE_SITE_LEN 48 /* site tag kept for display, NUL included */

/*
 * Normalized words: lowercase ASCII, each NUL-terminated inside text at
 * off[i] (so text + off[i] is a C string of len[i] bytes), with its 32-bit
 * FNV-1a hash.
 */
struct sw_words {
	uint8_t n;
	uint8_t len[SW_WORDS_MAX];
	uint16_t off[SW_WORDS_MAX];
	uint32_t hash[SW_WORDS_MAX];
	char text[SW_WORDS_TEXT_LEN];
};

enum sw_release_source {
	SW_SRC_NONE = 0,
	SW_SRC_CAM,
	SW_SRC_TS, /* telesync */
	SW_SRC_TC, /* telecine */
	SW_SRC_WORKPRINT,
	SW_SRC_SCREENER, /* DVDScr, SCR, Screener, BDScr */
	SW_SRC_R5,
	SW_SRC_PPV,
	SW_SRC_DVDRIP,
	SW_SRC_DVD, /* DVD-R, DVD5, DVD9, full discs */
	SW_SRC_HDTV,
	SW_SRC_WEBDL,
	SW_SRC_WEBRIP,
	SW_SRC_HDRIP,
	SW_SRC_BLURAY, /* BluRay, BDRip, BRRip, Remux */
	SW_SRC_COUNT
};

enum sw_release_codec {
	SW_CODEC_NONE = 0,
	SW_CODEC_XVID,
	SW_CODEC_DIVX,
	SW_CODEC_H264,
	SW_CODEC_H265,
	SW_CODEC_MPEG2,
	SW_CODEC_VC1,
	SW_CODEC_AV1,
	SW_CODEC_VP9,
	SW_CODEC_COUNT
};

enum sw_release_audio {
	SW_AUDIO_NONE = 0,
	SW_AUDIO_AC3,
	SW_AUDIO_AAC,
	SW_AUDIO_DTS,
	SW_AUDIO_EAC3,
	SW_AUDIO_MP3,
	SW_AUDIO_FLAC,
	SW_AUDIO_TRUEHD,
	SW_AUDIO_OPUS,
	SW_AUDIO_COUNT
};

enum sw_release_container {
	SW_CONT_NONE = 0,
	SW_CONT_VIDEO,   /* mkv mp4 avi m4v wmv mov mpg m2ts vob flv webm */
	SW_CONT_DISC,    /* iso img */
	SW_CONT_ARCHIVE, /* rar zip 7z */
	SW_CONT_AUDIO,   /* mp3 flac m4a ogg wav */
	SW_CONT_TEXT,    /* srt sub nfo txt epub pdf mobi */
	SW_CONT_EXEC,    /* exe msi bat cmd com scr lnk vbs pif apk jar */
	SW_CONT_COUNT
};

#define SW_RELEASE_F_TRUNCATED  0x01u /* name longer than SW_RELEASE_MAX_NAME */
#define SW_RELEASE_F_SAMPLE     0x02u /* a "sample" word or file */
#define SW_RELEASE_F_EXECUTABLE 0x04u /* the container runs: a decoy */
#define SW_RELEASE_F_SITE_TAG   0x08u /* a site tag was dropped */
#define SW_RELEASE_F_TRAILER    0x10u /* a trailer / teaser, not the film */
#define SW_RELEASE_F_EPISODE    0x20u /* S01E02-style tag: a series */
#define SW_RELEASE_F_WORDS_CUT  0x40u /* more than SW_WORDS_MAX words */
#define SW_RELEASE_F_PATH       0x80u /* a path: title from its first part */

struct sw_release {
	struct sw_words words;          /* every word kept, in order */
	uint8_t n_title;                /* words[0 .. n_title) are the title */
	int8_t group;                   /* word index of the release group, or -1 */
	uint16_t year;                  /* 1900..2099, or 0 when absent */
	uint16_t resolution;            /* vertical lines: 480, 720, 1080, 2160; or 0 */
	uint8_t source;                 /* enum sw_release_source */
	uint8_t codec;                  /* enum sw_release_codec */
	uint8_t audio;                  /* enum sw_release_audio */
	uint8_t container;              /* enum sw_release_container */
	uint32_t flags;                 /* SW_RELEASE_F_* */
	char ext[SW_RELEASE_EXT_LEN];   /* "mkv", "exe", or "" */
	char site[SW_RELEASE_SITE_LEN]; /* "www.torrenting.com", or "" */
};

int sw_release_parse(const char *name, size_t len, struct sw_release *out);

/*
 * Split text into normalized words (the same folding the parser uses, no
 * tag logic): for watch titles and aliases.  Returns SW_OK, SW_E_TOO_BIG
 * when text has more than SW_WORDS_MAX words (out keeps the first ones), or
 * SW_E_INVALID on NULL arguments.
 */
int sw_words_split(const char *text, size_t len, struct sw_words *out);

/* The word i of w as a C string (i < w->n). */
static inline const char *sw_words_at(const struct sw_words *w, size_t i)
{
	return w->text + w->off[i];
}

/* Static names for display: "DVDScr", "x264", "AC3", "exe"; never NULL. */
const char *sw_release_source_name(unsigned source);
const char *sw_release_codec_name(unsigned codec);
const char *sw_release_audio_name(unsigned audio);

#endif /* SW_RELEASE_H */
