package jp.kouiki.window.agent;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.pacing.ByteRate;
import jp.kouiki.window.pacing.PacingWindows;

/**
 * Estimates when each municipality's queued files will have been sent. It plays the queues forward minute by minute
 * at the rate of each upcoming time window, shared equally by the municipalities that have a file they may send.
 * Daily files go before bulk ones, and files of a closed schedule wait for it to open. A minute without a cap uses
 * the configured estimate rate. The estimate ignores the central server's admission caps and line failures, so it is the
 * earliest completion the windows allow.
 */
final class BacklogEstimator {

    /** A file still to send: bytes left, class and the schedule it waits for (null for none). */
    record Item(long bytes, PriorityClass priorityClass, String schedule) {
    }

    /** When a municipality's daily files, bulk files and all files are expected to be sent; null when beyond the horizon. */
    record Completion(ZonedDateTime daily, ZonedDateTime bulk, ZonedDateTime all) {
    }

    /** Largest time played forward. */
    static final Duration HORIZON = Duration.ofDays(8);
    private static final Duration STEP = Duration.ofMinutes(1);

    /** Whether a named schedule is open at a time. */
    interface ScheduleClock {
        boolean isOpen(String schedule, ZonedDateTime time);
    }

    private final PacingWindows windows;
    private final ByteRate estimateRate;
    private final ScheduleClock schedules;

    BacklogEstimator(PacingWindows windows, ByteRate estimateRate, ScheduleClock schedules) {
        this.windows = windows;
        this.estimateRate = estimateRate;
        this.schedules = schedules;
    }

    Map<MunicipalityCode, Completion> estimate(Map<MunicipalityCode, List<Item>> queued, ZonedDateTime now) {
        Map<MunicipalityCode, List<long[]>> left = new LinkedHashMap<>();
        Map<MunicipalityCode, List<Item>> items = new LinkedHashMap<>();
        queued.forEach((code, list) -> {
            List<Item> ordered = new ArrayList<>(list);
            ordered.sort(Comparator.comparing(Item::priorityClass));
            items.put(code, ordered);
            List<long[]> bytes = new ArrayList<>();
            ordered.forEach(item -> bytes.add(new long[] {item.bytes()}));
            left.put(code, bytes);
        });
        Map<MunicipalityCode, ZonedDateTime[]> done = new LinkedHashMap<>();
        queued.keySet().forEach(code -> done.put(code, new ZonedDateTime[3]));
        markFinished(items, left, done, now);
        ZonedDateTime time = now;
        ZonedDateTime end = now.plus(HORIZON);
        while (time.isBefore(end) && !allDone(done)) {
            ByteRate rate = windows.rateAt(time);
            long budget = (rate.isUnlimited() ? estimateRate : rate).bytesPerSecond() * STEP.toSeconds();
            ZonedDateTime at = time;
            spend(items, left, budget, item -> item.schedule() == null || schedules.isOpen(item.schedule(), at));
            time = time.plus(STEP);
            markFinished(items, left, done, time);
        }
        Map<MunicipalityCode, Completion> completions = new LinkedHashMap<>();
        done.forEach((code, times) -> completions.put(code, new Completion(times[0], times[1], times[2])));
        return completions;
    }

    /** Shares the step's bytes equally among municipalities with a sendable file, passing unused shares on. */
    private static void spend(Map<MunicipalityCode, List<Item>> items, Map<MunicipalityCode, List<long[]>> left,
            long budget, Predicate<Item> sendable) {
        long remaining = budget;
        while (remaining > 0) {
            List<MunicipalityCode> active = new ArrayList<>();
            items.forEach((code, list) -> {
                if (sendableBytes(list, left.get(code), sendable) > 0) {
                    active.add(code);
                }
            });
            if (active.isEmpty()) {
                return;
            }
            long share = Math.max(1, remaining / active.size());
            for (MunicipalityCode code : active) {
                remaining -= take(items.get(code), left.get(code), Math.min(share, remaining), sendable);
                if (remaining <= 0) {
                    return;
                }
            }
        }
    }

    private static long sendableBytes(List<Item> items, List<long[]> left, Predicate<Item> sendable) {
        long bytes = 0;
        for (int i = 0; i < items.size(); i++) {
            if (sendable.test(items.get(i))) {
                bytes += left.get(i)[0];
            }
        }
        return bytes;
    }

    private static long take(List<Item> items, List<long[]> left, long bytes, Predicate<Item> sendable) {
        long taken = 0;
        for (int i = 0; i < items.size() && taken < bytes; i++) {
            if (sendable.test(items.get(i)) && left.get(i)[0] > 0) {
                long part = Math.min(left.get(i)[0], bytes - taken);
                left.get(i)[0] -= part;
                taken += part;
            }
        }
        return taken;
    }

    private static void markFinished(Map<MunicipalityCode, List<Item>> items, Map<MunicipalityCode, List<long[]>> left,
            Map<MunicipalityCode, ZonedDateTime[]> done, ZonedDateTime time) {
        items.forEach((code, list) -> {
            ZonedDateTime[] times = done.get(code);
            List<long[]> bytes = left.get(code);
            if (times[0] == null && finished(list, bytes, PriorityClass.DAILY)) {
                times[0] = time;
            }
            if (times[1] == null && finished(list, bytes, PriorityClass.BULK)) {
                times[1] = time;
            }
            if (times[2] == null && times[0] != null && times[1] != null) {
                times[2] = time;
            }
        });
    }

    private static boolean finished(List<Item> items, List<long[]> left, PriorityClass priorityClass) {
        for (int i = 0; i < items.size(); i++) {
            if (items.get(i).priorityClass() == priorityClass && left.get(i)[0] > 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean allDone(Map<MunicipalityCode, ZonedDateTime[]> done) {
        return done.values().stream().allMatch(times -> times[2] != null);
    }
}
