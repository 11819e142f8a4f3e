// The H.264 profile policy: what a camera really sends versus what we announce to browsers.
//
// Chromium's WebRTC stack only lists Constrained Baseline, Baseline, Main and Constrained
// High (42001f, 42e01f, 4d001f, f4001f) in its receive capabilities, while most IP cameras
// send High (64xxxx). Its decoder (the same software decoder that plays <video> H.264)
// decodes High without trouble; only SDP negotiation refuses it. So a camera whose profile
// the router does not list is announced with a profile that every browser negotiates, and
// its real profile is kept in the camera status. A deployment whose viewers cannot decode
// High can set the camera's transcode mode to 'always'.
import { parseProfileLevelId, Profile } from 'h264-profile-level-id';

/** Profiles the router offers (each a mediasoup router codec). */
export const NEGOTIABLE_PROFILES = {
  constrainedBaseline: '42e01f',
  main: '4d001f',
} as const;

export interface ProfileChoice {
  /** profile-level-id as the camera sent it (or undefined if it did not say). */
  real: string | undefined;
  /** Human name of the real profile, e.g. "High". */
  realName: string;
  /** profile-level-id used in the producer's RTP parameters. */
  announced: string;
  /** True when the announced profile differs from the real one. */
  remapped: boolean;
}

const names = new Map<number, string>([
  [Profile.ConstrainedBaseline, 'Constrained Baseline'],
  [Profile.Baseline, 'Baseline'],
  [Profile.Main, 'Main'],
  [Profile.ConstrainedHigh, 'Constrained High'],
  [Profile.High, 'High'],
  [Profile.PredictiveHigh444, 'High 4:4:4 Predictive'],
]);

export function chooseAnnouncedProfile(realProfileLevelId: string | undefined): ProfileChoice {
  const parsed = realProfileLevelId ? parseProfileLevelId(realProfileLevelId) : undefined;
  const realName = parsed ? names.get(parsed.profile) ?? `profile ${parsed.profile}` : 'unknown';
  let announced: string = NEGOTIABLE_PROFILES.constrainedBaseline;
  if (parsed?.profile === Profile.Main) announced = NEGOTIABLE_PROFILES.main;
  return {
    real: realProfileLevelId,
    realName,
    announced,
    remapped: realProfileLevelId?.toLowerCase() !== announced,
  };
}
