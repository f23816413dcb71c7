// Position from the phone: one fix for a handover, a watch while on duty.
export function currentPosition(timeoutMs = 10000) {
  return new Promise((resolve) => {
    if (!("geolocation" in navigator)) return resolve(null);
    navigator.geolocation.getCurrentPosition(
      (pos) => resolve(toFix(pos)),
      () => resolve(null),
      { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: 30000 }
    );
  });
}

export function toFix(pos) {
  const c = pos.coords;
  const fix = {
    at: new Date(pos.timestamp || Date.now()).toISOString(),
    lat: Math.round(c.latitude * 1e6) / 1e6,
    lon: Math.round(c.longitude * 1e6) / 1e6,
    accuracy_m: Math.round((c.accuracy || 0) * 10) / 10,
  };
  if (Number.isFinite(c.speed)) fix.speed_mps = c.speed;
  if (Number.isFinite(c.heading)) fix.heading_deg = c.heading;
  return fix;
}

export function watch(onFix) {
  if (!("geolocation" in navigator)) return () => {};
  const id = navigator.geolocation.watchPosition((pos) => onFix(toFix(pos)), () => {}, {
    enableHighAccuracy: true,
    maximumAge: 10000,
  });
  return () => navigator.geolocation.clearWatch(id);
}
