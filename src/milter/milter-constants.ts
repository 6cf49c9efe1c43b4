/**
 * Sendmail milter protocol version 6, the wire constants under their C names (libmilter's
 * mfdef.h, Postfix's src/milter/milter8.c), so that a packet trace, Postfix's log and this
 * code read alike.
 */

/** The protocol version sekisho speaks (Sendmail 8.14, Postfix ≥ 2.6: milter_protocol = 6). */
export const SMFI_VERSION = 6;

/** Commands, MTA → filter. */
export const SMFIC_ABORT = 'A';
export const SMFIC_BODY = 'B';
export const SMFIC_CONNECT = 'C';
export const SMFIC_MACRO = 'D';
export const SMFIC_BODYEOB = 'E';
export const SMFIC_HELO = 'H';
export const SMFIC_QUIT_NC = 'K';
export const SMFIC_HEADER = 'L';
export const SMFIC_MAIL = 'M';
export const SMFIC_EOH = 'N';
export const SMFIC_OPTNEG = 'O';
export const SMFIC_QUIT = 'Q';
export const SMFIC_RCPT = 'R';
export const SMFIC_DATA = 'T';
export const SMFIC_UNKNOWN = 'U';

/** Replies, filter → MTA. */
export const SMFIR_ADDRCPT = '+';
export const SMFIR_DELRCPT = '-';
export const SMFIR_ADDRCPT_PAR = '2';
export const SMFIR_SHUTDOWN = '4';
export const SMFIR_ACCEPT = 'a';
export const SMFIR_REPLBODY = 'b';
export const SMFIR_CONTINUE = 'c';
export const SMFIR_DISCARD = 'd';
export const SMFIR_CHGFROM = 'e';
export const SMFIR_CONN_FAIL = 'f';
export const SMFIR_ADDHEADER = 'h';
export const SMFIR_INSHEADER = 'i';
export const SMFIR_SETSYMLIST = 'l';
export const SMFIR_CHGHEADER = 'm';
export const SMFIR_PROGRESS = 'p';
export const SMFIR_QUARANTINE = 'q';
export const SMFIR_REJECT = 'r';
export const SMFIR_SKIP = 's';
export const SMFIR_TEMPFAIL = 't';
export const SMFIR_REPLYCODE = 'y';

/** Actions the filter may take at end of message (SMFIF_*), offered by the MTA in OPTNEG. */
export const SMFIF_ADDHDRS = 0x01;
export const SMFIF_CHGBODY = 0x02;
export const SMFIF_ADDRCPT = 0x04;
export const SMFIF_DELRCPT = 0x08;
export const SMFIF_CHGHDRS = 0x10;
export const SMFIF_QUARANTINE = 0x20;
export const SMFIF_CHGFROM = 0x40;
export const SMFIF_ADDRCPT_PAR = 0x80;
export const SMFIF_SETSYMLIST = 0x100;

/** Protocol flags (SMFIP_*): events the filter does not want, replies it will not send. */
export const SMFIP_NOCONNECT = 0x1;
export const SMFIP_NOHELO = 0x2;
export const SMFIP_NOMAIL = 0x4;
export const SMFIP_NORCPT = 0x8;
export const SMFIP_NOBODY = 0x10;
export const SMFIP_NOHDRS = 0x20;
export const SMFIP_NOEOH = 0x40;
export const SMFIP_NR_HDR = 0x80;
export const SMFIP_NOUNKNOWN = 0x100;
export const SMFIP_NODATA = 0x200;
export const SMFIP_SKIP = 0x400;
export const SMFIP_RCPT_REJ = 0x800;
export const SMFIP_NR_CONN = 0x1000;
export const SMFIP_NR_HELO = 0x2000;
export const SMFIP_NR_MAIL = 0x4000;
export const SMFIP_NR_RCPT = 0x8000;
export const SMFIP_NR_DATA = 0x10000;
export const SMFIP_NR_UNKN = 0x20000;
export const SMFIP_NR_EOH = 0x40000;
export const SMFIP_NR_BODY = 0x80000;
export const SMFIP_HDR_LEADSPC = 0x100000;

/** Macro stages of the macro lists a filter may ask for in its OPTNEG reply (SMFIM_*). */
export const SMFIM_CONNECT = 0;
export const SMFIM_HELO = 1;
export const SMFIM_ENVFROM = 2;
export const SMFIM_ENVRCPT = 3;
export const SMFIM_DATA = 4;
export const SMFIM_EOM = 5;
export const SMFIM_EOH = 6;

/** Address families of SMFIC_CONNECT (SMFIA_*). */
export const SMFIA_UNKNOWN = 'U';
export const SMFIA_UNIX = 'L';
export const SMFIA_INET = '4';
export const SMFIA_INET6 = '6';

/** The largest body chunk an MTA sends (Postfix's MILTER_CHUNK_SIZE, libmilter's MILTER_CHUNK_SIZE). */
export const MILTER_CHUNK_SIZE = 65535;
