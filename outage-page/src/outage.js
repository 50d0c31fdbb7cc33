/*
 * Outage page behaviour: language choice and the live notice from /status.json.
 * Plain ES2017, no dependencies, no build step. It runs in <head> (not deferred) only to set
 * html[data-lang] before the first paint; everything else waits for the DOM. Without it the HTML
 * shows both languages with the full baseline text and every contact.
 */
(function (root) {
  'use strict';

  var STATUS_URL = '/status.json';
  var REFRESH_MS = 60 * 1000;
  var STORAGE_KEY = 'outage-page-lang';
  var LANGS = ['ko', 'en'];
  var SEVERITIES = ['none', 'info', 'minor', 'major'];
  var STATES = ['operational', 'degraded', 'down', 'unknown'];
  var PROMISES = ['dataSafe', 'notChargedTwice'];
  var OFFERS = ['coupon', 'extended-delivery', 'points'];
  var PROMISE_MAX = 1000;
  /* Same rule as z.iso.datetime(): UTC ("Z"), seconds required, optional fraction. */
  var DATETIME_RE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?Z$/;
  /* Korean and English names per region code: filled in by outage-page/render.ts. */
  var REGION_NAMES = /* REGION_NAMES */ {};

  var TEXT = {
    ko: {
      title: '일시적으로 이용할 수 없습니다 · ',
      severity: { info: '안내', minor: '일부 서비스 장애', major: '서비스 중단' },
      state: { operational: '정상', degraded: '일부 장애', down: '중단', unknown: '확인되지 않음' },
      offer: { coupon: '할인 쿠폰', 'extended-delivery': '배송 기한 연장', points: '적립금 지급' },
      next: '다음 안내 예정: ',
      back: '복구 예상: ',
      backUnknown: '복구 예상 시간은 아직 알 수 없습니다.',
      backLate: '예상보다 복구가 늦어지고 있습니다.',
      locale: 'ko-KR',
    },
    en: {
      title: 'Temporarily unavailable · ',
      severity: { info: 'Information', minor: 'Partial outage', major: 'Major outage' },
      state: {
        operational: 'Operational',
        degraded: 'Slow or partly down',
        down: 'Down',
        unknown: 'Not known yet',
      },
      offer: {
        coupon: 'A discount coupon',
        'extended-delivery': 'A later delivery date',
        points: 'Shop points',
      },
      next: 'Next update expected by ',
      back: 'Expected back: ',
      backUnknown: 'We do not know yet when the shop will be back.',
      backLate: 'This is taking longer than expected.',
      locale: 'en-US',
    },
  };

  function has(obj, key) {
    return Object.prototype.hasOwnProperty.call(obj, key);
  }

  function isPlainObject(v) {
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  }

  /* Every key of obj is allowed, and every required key is there. */
  function keysOk(obj, required, optional) {
    var own = Object.keys(obj);
    return (
      own.every(function (k) {
        return required.indexOf(k) >= 0 || optional.indexOf(k) >= 0;
      }) &&
      required.every(function (k) {
        return has(obj, k);
      })
    );
  }

  function isDateTime(v) {
    if (typeof v !== 'string' || !DATETIME_RE.test(v)) return false;
    var t = Date.parse(v);
    /* Rejects impossible dates such as 02-30, which the regular expression lets through. */
    return !isNaN(t) && new Date(t).toISOString().slice(0, 10) === v.slice(0, 10);
  }

  function isLocalized(v) {
    return (
      isPlainObject(v) &&
      keysOk(v, LANGS, []) &&
      LANGS.every(function (l) {
        return typeof v[l] === 'string' && v[l].length >= 1 && v[l].length <= PROMISE_MAX;
      })
    );
  }

  function isCompensation(c) {
    if (c === false) return true;
    if (!isPlainObject(c) || !keysOk(c, ['offers', 'details'], [])) return false;
    return (
      Array.isArray(c.offers) &&
      c.offers.length > 0 &&
      c.offers.every(function (o) {
        return OFFERS.indexOf(o) >= 0;
      }) &&
      isLocalized(c.details)
    );
  }

  function isPromises(p) {
    if (!isPlainObject(p) || !keysOk(p, [], PROMISES.concat(['compensation']))) return false;
    return (
      PROMISES.every(function (k) {
        return !has(p, k) || p[k] === false || isLocalized(p[k]);
      }) &&
      (!has(p, 'compensation') || isCompensation(p.compensation))
    );
  }

  /** Mirrors lib/contract/status.ts (statusSchema). Anything else leaves the baseline text alone. */
  function isValidStatus(s) {
    if (
      !isPlainObject(s) ||
      !keysOk(
        s,
        ['severity', 'message', 'updatedAt', 'nextUpdateAt', 'regions'],
        ['promises', 'expectedBackAt'],
      )
    ) {
      return false;
    }
    if (SEVERITIES.indexOf(s.severity) < 0) return false;
    var m = s.message;
    if (!isPlainObject(m) || !keysOk(m, LANGS, [])) return false;
    if (typeof m.ko !== 'string' || typeof m.en !== 'string' || m.ko.length > 2000 || m.en.length > 2000) {
      return false;
    }
    if (!isDateTime(s.updatedAt)) return false;
    if (s.nextUpdateAt !== null && !isDateTime(s.nextUpdateAt)) return false;
    if (has(s, 'expectedBackAt') && !isDateTime(s.expectedBackAt)) return false;
    if (has(s, 'promises') && !isPromises(s.promises)) return false;
    if (!isPlainObject(s.regions)) return false;
    return Object.keys(s.regions).every(function (k) {
      return STATES.indexOf(s.regions[k]) >= 0;
    });
  }

  if (typeof document === 'undefined') {
    /* Loaded outside a browser (unit tests): expose the validator only. */
    root.outagePage = { isValidStatus: isValidStatus, REFRESH_MS: REFRESH_MS, REGION_NAMES: REGION_NAMES };
    return;
  }

  var doc = document;
  var sections = {};
  /* The first screen's short wording of each promise, per language (read from the HTML at start). */
  var safeBaselines = {};
  var site = '';

  function pickLanguage() {
    var stored = null;
    try {
      stored = root.localStorage.getItem(STORAGE_KEY);
    } catch (e) {
      stored = null;
    }
    if (LANGS.indexOf(stored) >= 0) return stored;
    var prefs =
      (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language]) || [];
    for (var i = 0; i < prefs.length; i++) {
      var code = String(prefs[i] || '')
        .toLowerCase()
        .split('-')[0];
      if (LANGS.indexOf(code) >= 0) return code;
    }
    return 'en';
  }

  /* Only attributes on <html>: the stylesheet shows one language and the matching toggle label. */
  function setLanguage(lang) {
    var html = doc.documentElement;
    html.lang = lang;
    html.setAttribute('data-lang', lang);
    if (site) doc.title = TEXT[lang].title + site;
  }

  /* Before the body exists: the first paint shows one language. */
  setLanguage(pickLanguage());

  /*
   * Times in Korea's time zone, labelled KST: the shop's customers are in Korea, and Intl's short
   * zone name for Asia/Seoul is "GMT+9", which Korean readers do not use.
   */
  function formatTime(iso, lang) {
    try {
      return (
        new Intl.DateTimeFormat(TEXT[lang].locale, {
          year: 'numeric',
          month: 'short',
          day: 'numeric',
          hour: 'numeric',
          minute: '2-digit',
          timeZone: 'Asia/Seoul',
        }).format(new Date(iso)) + ' KST'
      );
    } catch (e) {
      return iso;
    }
  }

  function field(section, name) {
    return section.querySelector('[data-field="' + name + '"]');
  }

  function setTime(el, prefix, iso, lang) {
    var time = doc.createElement('time');
    time.dateTime = iso;
    time.textContent = formatTime(iso, lang);
    el.textContent = prefix;
    el.appendChild(time);
  }

  function regionName(code, lang) {
    return has(REGION_NAMES, code) ? REGION_NAMES[code][lang === 'ko' ? 0 : 1] : code;
  }

  function applyRegions(section, regions, lang) {
    var list = section.querySelector('[data-regions]');
    var t = TEXT[lang];
    Array.prototype.forEach.call(list.querySelectorAll('[data-extra]'), function (li) {
      list.removeChild(li);
    });
    /* No prototype: a region code such as "constructor" or "toString" is not already "known". */
    var known = Object.create(null);
    Array.prototype.forEach.call(list.querySelectorAll('[data-region]'), function (li) {
      var code = li.getAttribute('data-region');
      var state = has(regions, code) ? regions[code] : 'unknown';
      var span = li.querySelector('.state');
      span.setAttribute('data-state', state);
      span.textContent = t.state[state];
      known[code] = true;
    });
    Object.keys(regions)
      .sort()
      .forEach(function (code) {
        if (known[code]) return;
        var li = doc.createElement('li');
        li.setAttribute('data-region', code);
        li.setAttribute('data-extra', '');
        var name = doc.createElement('span');
        name.className = 'region-name';
        name.textContent = regionName(code, lang);
        var span = doc.createElement('span');
        span.className = 'state';
        span.setAttribute('data-state', regions[code]);
        span.textContent = t.state[regions[code]];
        li.appendChild(name);
        li.appendChild(doc.createTextNode(' '));
        li.appendChild(span);
        list.appendChild(li);
      });
    section.querySelector('[data-regions-box]').hidden = Object.keys(regions).length === 0;
  }

  /*
   * Standing promises: kept, withheld (false) or reworded; compensation only when announced. The
   * first screen's "safe" line says the same in short: the page's short wording for a kept promise,
   * the notice's own text for a reworded one (cut to the line's height there, whole in the list
   * below), nothing for a withheld one. The line keeps its height even when empty, and its text is one
   * new text node each time: a node kept from before (a span, a space between two) that a longer
   * first promise pushed along would count as a layout shift.
   */
  function applyPromises(section, promises, lang) {
    var p = promises || {};
    var shown = 0;
    var safe = [];
    PROMISES.forEach(function (key) {
      var el = section.querySelector('[data-promise="' + key + '"]');
      var value = has(p, key) ? p[key] : undefined;
      el.hidden = value === false;
      el.textContent = value ? value[lang] : el.getAttribute('data-baseline');
      if (value !== false) {
        shown++;
        safe.push(value ? value[lang] : safeBaselines[lang][key]);
      }
    });
    section.querySelector('[data-safe] .safe-text').textContent = safe.join(' ');
    section.querySelector('[data-safe]').setAttribute('data-empty', safe.length === 0 ? 'true' : 'false');
    var box = section.querySelector('[data-promise="compensation"]');
    var c = has(p, 'compensation') ? p.compensation : false;
    box.hidden = !c;
    var offers = box.querySelector('.offers');
    offers.textContent = '';
    if (c) {
      c.offers.forEach(function (o) {
        var li = doc.createElement('li');
        li.textContent = TEXT[lang].offer[o];
        offers.appendChild(li);
      });
      box.querySelector('.details-text').textContent = c.details[lang];
      shown++;
    }
    section.querySelector('[data-promises]').hidden = shown === 0;
  }

  /* A notice with severity "none" (after `shopctl notice clear`) is no notice: the baseline. */
  function applyBaseline(section, lang) {
    var box = section.querySelector('[data-status]');
    box.removeAttribute('data-severity');
    field(section, 'severity').hidden = true;
    field(section, 'updated').hidden = true;
    ['message', 'back', 'next'].forEach(function (name) {
      var el = field(section, name);
      el.textContent = el.getAttribute('data-baseline');
    });
    field(section, 'back').removeAttribute('data-back');
    section.querySelector('[data-regions-box]').hidden = true;
    applyPromises(section, undefined, lang);
    showWholeMessage(section);
  }

  /*
   * The first screen shows as many lines of the message as its fixed box holds (CSS line-clamp); when
   * that cuts it, the whole message is repeated in the details below (below the first screen, so
   * showing it moves nothing a reader sees). Measured, because where the text breaks depends on the
   * width and the fonts. A hidden section measures nothing: it is measured again when shown.
   */
  function showWholeMessage(section) {
    var message = field(section, 'message');
    var whole = field(section, 'message-full');
    if (message.offsetParent === null) return;
    var cut = message.scrollHeight > message.clientHeight + 1;
    whole.textContent = cut ? message.textContent : '';
    whole.hidden = !cut;
    section.setAttribute('data-message-cut', cut ? 'true' : 'false');
  }

  /*
   * When service is expected back, judged against this browser's clock at every poll: a time that has
   * passed while the notice still stands is never shown as if it were ahead; the page says recovery is
   * taking longer than expected (the next-update line below says when news comes). No time: the page
   * says it is not known rather than guess.
   */
  function applyBack(section, s, lang) {
    var t = TEXT[lang];
    var back = field(section, 'back');
    var state = !s.expectedBackAt
      ? 'unknown'
      : Date.parse(s.expectedBackAt) > Date.now()
        ? 'expected'
        : 'late';
    if (state === 'expected') setTime(back, t.back, s.expectedBackAt, lang);
    else back.textContent = state === 'late' ? t.backLate : t.backUnknown;
    back.setAttribute('data-back', state);
  }

  function applySection(section, s, lang) {
    var t = TEXT[lang];
    var box = section.querySelector('[data-status]');
    var badge = field(section, 'severity');
    var message = field(section, 'message');
    var next = field(section, 'next');
    box.setAttribute('data-severity', s.severity);
    badge.setAttribute('data-severity', s.severity);
    badge.textContent = t.severity[s.severity];
    badge.hidden = false;
    var text = s.message[lang].trim();
    message.textContent = text || message.getAttribute('data-baseline');
    setTime(
      field(section, 'updated'),
      field(section, 'updated').getAttribute('data-prefix'),
      s.updatedAt,
      lang,
    );
    field(section, 'updated').hidden = false;
    applyBack(section, s, lang);
    if (s.nextUpdateAt) {
      setTime(next, t.next, s.nextUpdateAt, lang);
    } else {
      next.textContent = next.getAttribute('data-baseline');
    }
    applyRegions(section, s.regions, lang);
    applyPromises(section, s.promises, lang);
    showWholeMessage(section);
  }

  /* The notice shown now (severity not "none"), so each poll can judge its recovery time again. */
  var shown = null;

  function applyStatus(s) {
    var cleared = s.severity === 'none';
    shown = cleared ? null : s;
    LANGS.forEach(function (lang) {
      if (cleared) applyBaseline(sections[lang], lang);
      else applySection(sections[lang], s, lang);
    });
    doc.documentElement.setAttribute('data-status', cleared ? 'cleared' : 'applied');
  }

  var timer = null;

  function schedule() {
    if (timer !== null) root.clearTimeout(timer);
    timer = root.setTimeout(refresh, REFRESH_MS);
  }

  function refresh() {
    timer = null;
    /* A missing notice (404/403) is normal: deploys never ship one, so the baseline text stays. */
    return fetch(STATUS_URL, { cache: 'no-store', credentials: 'omit', redirect: 'error' })
      .then(function (res) {
        return res.ok ? res.json() : null;
      })
      .then(function (s) {
        if (s !== null && isValidStatus(s)) applyStatus(s);
      })
      .catch(function () {
        /* Network error or invalid JSON: keep whatever is shown. */
      })
      .then(function () {
        /* Even when status.json could not be read: a recovery time that has passed is not shown as ahead. */
        if (shown !== null) {
          LANGS.forEach(function (lang) {
            applyBack(sections[lang], shown, lang);
          });
        }
        schedule();
      });
  }

  function init() {
    site = doc.querySelector('.site').textContent;
    setLanguage(doc.documentElement.getAttribute('data-lang'));
    LANGS.forEach(function (lang) {
      var section = doc.getElementById(lang);
      sections[lang] = section;
      ['message', 'back', 'next'].forEach(function (name) {
        var el = field(section, name);
        el.setAttribute('data-baseline', el.textContent.replace(/\s+/g, ' ').trim());
      });
      safeBaselines[lang] = {};
      PROMISES.forEach(function (key) {
        var el = section.querySelector('[data-promise="' + key + '"]');
        el.setAttribute('data-baseline', el.textContent.replace(/\s+/g, ' ').trim());
        safeBaselines[lang][key] = section
          .querySelector('[data-safe-part="' + key + '"]')
          .textContent.replace(/\s+/g, ' ')
          .trim();
      });
      var updated = field(section, 'updated');
      updated.setAttribute(
        'data-prefix',
        updated.firstChild.textContent.replace(/\s+/g, ' ').replace(/^ /, ''),
      );
    });
    doc.getElementById('lang-toggle').addEventListener('click', function () {
      var lang = doc.documentElement.getAttribute('data-lang') === 'ko' ? 'en' : 'ko';
      try {
        root.localStorage.setItem(STORAGE_KEY, lang);
      } catch (e) {
        /* Private mode: the choice lasts for this page view only. */
      }
      setLanguage(lang);
      showWholeMessage(sections[lang]);
    });
    root.addEventListener('resize', function () {
      showWholeMessage(sections[doc.documentElement.getAttribute('data-lang')]);
    });
    doc.addEventListener('visibilitychange', function () {
      if (doc.visibilityState === 'visible' && timer !== null) {
        root.clearTimeout(timer);
        refresh();
      }
    });
    refresh();
  }

  if (doc.readyState === 'loading') {
    doc.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})(typeof window !== 'undefined' ? window : globalThis);
