import { z } from 'zod';

/**
 * The brand catalog: who is impersonated, by which names, and which domains are really
 * theirs. Shipped as config/brands.yaml; admins add their own brands (their company, their
 * banks) or extend shipped ones in a second file. A wrong official domain is a false
 * positive on real mail, so every domain is a registrable domain (public-suffix aware:
 * chibabank.co.jp, not co.jp) that the brand really owns.
 */

const label = z.string().min(1).max(200);

export const brandSchema = z
  .object({
    /** Stable id: [a-z0-9-]. Used in findings, metrics labels and policy rules. */
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and "-"'),
    /** How the brand is named in evidence ("三井住友カード"). */
    name: label,
    /**
     * Names and aliases in every script customers see: "Apple", "アップル", "Apple ID",
     * "iCloud". Matched after NFKC and case folding; Latin names as whole words, Japanese
     * ones as substrings.
     */
    names: z.array(label).min(1),
    /** Names that only count in this exact case ("LINE", "au"): as words they are ordinary. */
    case_sensitive: z.array(label).default([]),
    /** Registrable domains the brand owns. Their subdomains are official too. */
    domains: z.array(label).min(1),
    /**
     * The brand's registrable domains where anyone can get a mailbox (gmail.com, icloud.com,
     * outlook.com): official for links and never lookalikes, but a From at one of them that
     * names the brand is just a customer calling themselves "Apple サポート".
     */
    mailboxes: z.array(label).default([]),
    /** Registrable domains of third parties that legitimately send or link for the brand. */
    senders: z.array(label).default([]),
    /** Extra words that name the brand in a subject or body (product names, services). */
    keywords: z.array(label).default([]),
    /**
     * Registrable domains of others that are spelt nearly like the brand's (jtb.co.jp beside
     * jcb.co.jp, nhl.com beside dhl.com): real and well known, so never its lookalikes.
     */
    neighbours: z.array(label).default([]),
  })
  .strict();

/**
 * An admin's own catalog file: new brands (complete), or more names and domains for a
 * shipped brand (same id: lists are added to the shipped ones), and shipped brands to drop.
 */
export const localCatalogSchema = z
  .object({
    version: z.literal(1),
    brands: z
      .array(
        brandSchema.extend({
          name: label.optional(),
          names: z.array(label).default([]),
          domains: z.array(label).default([]),
        }),
      )
      .default([]),
    /** Ids of shipped brands not to check (say, the admin's own company is one of them). */
    disable: z.array(z.string()).default([]),
  })
  .strict();

export type LocalCatalogFile = z.output<typeof localCatalogSchema>;

export const catalogSchema = z
  .object({
    version: z.literal(1),
    brands: z.array(brandSchema),
  })
  .strict();

export type BrandEntry = z.output<typeof brandSchema>;
export type CatalogFile = z.output<typeof catalogSchema>;
