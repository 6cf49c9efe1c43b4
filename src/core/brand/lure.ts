/**
 * Lure phrases: the pressure a phish puts on the reader's account, credentials or payment.
 * Only phrases that mean that, not single words every business mail uses (確認 or 更新
 * alone are in half of all Japanese mail): "アカウントが停止", "本人確認", "verify your
 * account". Matched on NFKC-normalised, lower-cased text.
 */
const LURES: ReadonlyArray<[string, RegExp]> = [
  ['アカウント停止/制限', /アカウント(?:が|は|を|の)?(?:一時)?(?:停止|制限|ロック|凍結|無効|削除|閉鎖|利用停止)/],
  ['本人確認', /ご?本人(?:様)?確認/],
  ['カード/支払い情報', /(?:カード|お?支払い?|決済|請求先|口座)(?:情報|方法)(?:の|を|が)?(?:確認|更新|変更|入力|登録)?/],
  ['有効期限', /有効期限(?:が|を)?(?:切れ|過ぎ|更新)/],
  ['不正利用/異常', /不正(?:な)?(?:利用|アクセス|ログイン)|異常(?:な)?(?:ログイン|アクセス|活動)|第三者(?:による|が)/],
  ['利用停止', /(?:ご?利用|サービス|お取引)(?:を|が)?(?:一時)?(?:停止|制限|中止)/],
  ['至急の対応', /(?:至急|直ちに|24時間以内|48時間以内|速やかに)(?:に)?(?:ご?確認|ご?対応|お手続き|ログイン)/],
  ['未払い/料金', /未払い|未納|お?支払いが(?:確認でき|完了して)|料金(?:の)?(?:お支払い|未納)/],
  ['verify', /\bverif(?:y|ication)\b/],
  ['confirm your account', /\bconfirm (?:your|the) (?:account|identity|information|details|payment)/],
  ['suspended/locked', /\b(?:suspend(?:ed)?|locked|restricted|disabled|deactivated|limited) (?:your )?(?:account|access)|\baccount (?:has been |was |is )?(?:suspended|locked|restricted|disabled|limited)|\b(?:has been|will be) (?:temporarily )?(?:suspended|locked|deactivated)\b/],
  ['unusual activity', /\bunusual (?:activity|sign[ -]?in|login)|\bsecurity alert\b|\bunauthori[sz]ed/],
  ['update payment', /\bupdate (?:your )?(?:payment|billing|card|account) (?:information|details|method)/],
];

/**
 * Words about signing in, alone no lure: every "Sign in with Google" service and every
 * password-reset mail uses them. They go into evidence, never into the decision.
 */
const CREDENTIAL_WORDS: ReadonlyArray<[string, RegExp]> = [
  ['ログイン', /ログイン|サインイン/],
  ['パスワード', /パスワード|暗証番号/],
  ['sign in / log in', /\b(?:sign|log)[ -]?in\b/],
  ['password', /\bpassword\b/],
];

/** The lure phrases found (their names, each once). */
export function lurePhrases(text: string): string[] {
  return lureWords(text).lures;
}

/** The sign-in words found (their names, each once). */
export function credentialWords(text: string): string[] {
  return lureWords(text).signIn;
}

/**
 * Both lists at once: the text is NFKC-normalised and lower-cased once for the two, which
 * on half a megabyte of body is a few milliseconds each time it is done.
 */
export function lureWords(text: string): { lures: string[]; signIn: string[] } {
  const t = text.normalize('NFKC').toLowerCase();
  return {
    lures: LURES.filter(([, re]) => re.test(t)).map(([name]) => name),
    signIn: CREDENTIAL_WORDS.filter(([, re]) => re.test(t)).map(([name]) => name),
  };
}
