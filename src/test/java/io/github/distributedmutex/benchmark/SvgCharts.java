package io.github.distributedmutex.benchmark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The report's two plots, written as plain SVG text (no plotting library): the distribution of
 * waits on the hot key per contender, and the throughput on distinct keys per configuration.
 */
final class SvgCharts {

    private static final int WIDTH = 800;
    private static final int HEIGHT = 460;
    private static final int LEFT = 70;
    private static final int RIGHT = 24;
    private static final int TOP = 66;
    private static final int BOTTOM = 64;
    private static final String FONT = "font-family=\"Helvetica, Arial, sans-serif\"";

    private SvgCharts() {
    }

    /**
     * The share of lock calls that waited longer than x, against x, both axes logarithmic, one line
     * per contender (a complementary distribution function: where a line crosses 1 % is its p99,
     * where it ends its maximum), with the bounded wait marked.
     *
     * @param results     the hot key's results by contender
     * @param title       the plot's title
     * @param boundMillis the bounded wait
     * @return the SVG document
     */
    static String waitDistribution(Map<Contender, LoadResult> results, String title, long boundMillis) {
        double smallest = Double.MAX_VALUE;
        double largest = boundMillis;
        int samples = 1;
        for (LoadResult result : results.values()) {
            if (result.waits().length > 0) {
                smallest = Math.min(smallest, Math.max(result.waits()[0] / 1e6, 1e-3));
                largest = Math.max(largest, result.maxWaitMillis());
                samples = Math.max(samples, result.waits().length);
            }
        }
        int firstDecade = smallest == Double.MAX_VALUE ? -2 : (int) Math.floor(Math.log10(smallest));
        int lastDecade = (int) Math.ceil(Math.log10(largest * 1.0001));
        int shareDecades = Math.max(2, Math.min(5, (int) Math.ceil(Math.log10(samples))));
        double plotWidth = WIDTH - LEFT - RIGHT;
        double plotHeight = HEIGHT - TOP - BOTTOM;
        StringBuilder svg = start(title);
        for (int decade = firstDecade; decade <= lastDecade; decade++) {
            double x = LEFT + plotWidth * (decade - firstDecade) / (lastDecade - firstDecade);
            svg.append(line(x, TOP, x, TOP + plotHeight, "#dddddd", 1, null));
            svg.append(text(x, TOP + plotHeight + 18, decadeLabel(decade), 12, "middle", "#333333"));
        }
        for (int decade = 0; decade <= shareDecades; decade++) {
            double y = TOP + plotHeight * decade / shareDecades;
            svg.append(line(LEFT, y, LEFT + plotWidth, y, decade == 2 ? "#999999" : "#dddddd", 1,
                    decade == 2 ? "2,3" : null));
            svg.append(text(LEFT - 8, y + 4, percent(Math.pow(10, 2 - decade)), 12, "end", "#333333"));
        }
        svg.append(text(LEFT + plotWidth - 4, TOP + plotHeight * 2 / shareDecades - 5, "p99", 11, "end", "#777777"));
        svg.append(line(LEFT, TOP + plotHeight, LEFT + plotWidth, TOP + plotHeight, "#333333", 1, null));
        svg.append(line(LEFT, TOP, LEFT, TOP + plotHeight, "#333333", 1, null));
        svg.append(text(LEFT + plotWidth / 2, HEIGHT - 18, "wait for the lock, x (logarithmic)", 13, "middle", "#333333"));
        svg.append(String.format(Locale.ROOT, "<text x=\"18\" y=\"%.1f\" %s font-size=\"13\" fill=\"#333333\""
                        + " text-anchor=\"middle\" transform=\"rotate(-90 18 %.1f)\">lock calls that waited longer than x"
                        + " (logarithmic)</text>%n", TOP + plotHeight / 2, FONT, TOP + plotHeight / 2));
        double boundX = LEFT + plotWidth * (Math.log10(boundMillis) - firstDecade) / (lastDecade - firstDecade);
        svg.append(line(boundX, TOP, boundX, TOP + plotHeight, "#555555", 1.5, "6,4"));
        svg.append(text(boundX - 4, TOP + 14, "bounded wait " + decadeFree(boundMillis), 11, "end", "#555555"));
        // one line per contender, the legend in the lower left corner (the lines start top left and fall to the right)
        StringBuilder legend = new StringBuilder();
        int legendLine = 0;
        double legendWidth = 470;
        double legendLeft = LEFT + 8;
        double legendTop = TOP + plotHeight - 14 - 18.0 * results.size();
        for (Map.Entry<Contender, LoadResult> entry : results.entrySet()) {
            long[] waits = entry.getValue().waits();
            if (waits.length == 0) {
                continue;
            }
            String color = color(entry.getKey());
            StringBuilder points = new StringBuilder();
            int steps = 600;
            for (int i = 0; i <= steps; i++) {
                double logMillis = firstDecade + (lastDecade - firstDecade) * (double) i / steps;
                double longer = 1 - atMost(waits, Math.pow(10, logMillis) * 1e6);
                double x = LEFT + plotWidth * i / steps;
                boolean ends = longer < Math.pow(10, -shareDecades);
                double y = ends ? TOP + plotHeight : TOP + plotHeight * -Math.log10(longer) / shareDecades;
                points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
                if (ends) {
                    break;
                }
            }
            svg.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2.2\"/>%n",
                    points.toString().trim(), color));
            LoadResult result = entry.getValue();
            double legendY = legendTop + 18 + legendLine++ * 18;
            legend.append(line(legendLeft + 10, legendY - 4, legendLeft + 32, legendY - 4, color, 3, null));
            legend.append(text(legendLeft + 38, legendY, String.format(Locale.ROOT, "%s — p50 %s, p99 %s, max %s",
                    shortLabel(entry.getKey()), duration(result.waitMillis(0.5)), duration(result.waitMillis(0.99)),
                    duration(result.maxWaitMillis())), 12, "start", "#222222"));
        }
        svg.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\""
                + " fill=\"#ffffff\" fill-opacity=\"0.9\" stroke=\"#cccccc\"/>%n", legendLeft, legendTop,
                legendWidth, 18.0 * legendLine + 10));
        svg.append(legend);
        return svg.append("</svg>\n").toString();
    }

    private static String percent(double percent) {
        return (percent >= 1 ? Long.toString(Math.round(percent)) : trim(percent)) + " %";
    }

    /**
     * Grouped bars: acquisitions per second per configuration, one bar per contender.
     *
     * @param results by configuration and contender
     * @param title   the plot's title
     * @return the SVG document
     */
    static String throughput(Map<String, Map<Contender, LoadResult>> results, String title) {
        List<Contender> contenders = new ArrayList<>();
        double largest = 0;
        for (Map<Contender, LoadResult> byContender : results.values()) {
            for (Map.Entry<Contender, LoadResult> entry : byContender.entrySet()) {
                if (!contenders.contains(entry.getKey())) {
                    contenders.add(entry.getKey());
                }
                largest = Math.max(largest, entry.getValue().throughput());
            }
        }
        double step = niceStep(largest / 5);
        double top = Math.max(step, Math.ceil(largest * 1.08 / step) * step);
        double plotWidth = WIDTH - LEFT - RIGHT;
        double plotHeight = HEIGHT - TOP - BOTTOM;
        StringBuilder svg = start(title);
        for (double tick = 0; tick <= top + step / 2; tick += step) {
            double y = TOP + plotHeight * (1 - tick / top);
            svg.append(line(LEFT, y, LEFT + plotWidth, y, "#dddddd", 1, null));
            svg.append(text(LEFT - 8, y + 4, ResultsReport.number(tick, 0), 12, "end", "#333333"));
        }
        svg.append(line(LEFT, TOP + plotHeight, LEFT + plotWidth, TOP + plotHeight, "#333333", 1, null));
        svg.append(String.format(Locale.ROOT, "<text x=\"18\" y=\"%.1f\" %s font-size=\"13\" fill=\"#333333\""
                        + " text-anchor=\"middle\" transform=\"rotate(-90 18 %.1f)\">lock+unlock cycles per second</text>%n",
                TOP + plotHeight / 2, FONT, TOP + plotHeight / 2));
        int groups = results.size();
        double groupWidth = plotWidth / Math.max(1, groups);
        double barWidth = groupWidth * 0.7 / Math.max(1, contenders.size());
        int g = 0;
        for (Map.Entry<String, Map<Contender, LoadResult>> group : results.entrySet()) {
            double groupLeft = LEFT + g * groupWidth + groupWidth * 0.15;
            for (int c = 0; c < contenders.size(); c++) {
                LoadResult result = group.getValue().get(contenders.get(c));
                if (result == null) {
                    continue;
                }
                double height = plotHeight * result.throughput() / top;
                double x = groupLeft + c * barWidth;
                svg.append(String.format(Locale.ROOT,
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>%n",
                        x + 1, TOP + plotHeight - height, barWidth - 2, height, color(contenders.get(c))));
                svg.append(text(x + barWidth / 2, TOP + plotHeight - height - 4,
                        ResultsReport.number(result.throughput(), 0), 10, "middle", "#222222"));
            }
            svg.append(text(LEFT + g * groupWidth + groupWidth / 2, TOP + plotHeight + 20, group.getKey(), 12, "middle",
                    "#333333"));
            g++;
        }
        double legendX = LEFT + 12;
        for (Contender contender : contenders) {
            svg.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"14\" height=\"10\" fill=\"%s\"/>%n",
                    legendX, TOP - 28, color(contender)));
            String label = shortLabel(contender);
            svg.append(text(legendX + 19, TOP - 19, label, 12, "start", "#222222"));
            legendX += 32 + label.length() * 6.6;
        }
        return svg.append("</svg>\n").toString();
    }

    // ---- pieces ------------------------------------------------------------------------------------

    private static StringBuilder start(String title) {
        StringBuilder svg = new StringBuilder();
        svg.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " viewBox=\"0 0 %d %d\">%n", WIDTH, HEIGHT, WIDTH, HEIGHT));
        svg.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>%n", WIDTH, HEIGHT));
        svg.append(text(WIDTH / 2.0, 22, title, 15, "middle", "#111111"));
        return svg;
    }

    private static String line(double x1, double y1, double x2, double y2, String color, double width, String dash) {
        return String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\""
                + " stroke-width=\"%.1f\"%s/>%n", x1, y1, x2, y2, color, width,
                dash == null ? "" : " stroke-dasharray=\"" + dash + "\"");
    }

    private static String text(double x, double y, String content, int size, String anchor, String color) {
        return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" %s font-size=\"%d\" fill=\"%s\""
                + " text-anchor=\"%s\">%s</text>%n", x, y, FONT, size, color, anchor, escape(content));
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static String color(Contender contender) {
        return switch (contender) {
            case ADAPTER -> "#1f77b4";
            case ADAPTER_FIFO -> "#2ca02c";
            case ADAPTER_HYBRID -> "#8c564b";
            case LEASE -> "#17becf";
            case LOCKED -> "#9467bd";
            case RLOCK -> "#ff7f0e";
            case RFAIRLOCK -> "#e377c2";
            case GO_PACKAGE -> "#d62728";
            case FLOOR -> "#8c8c8c";
            case PING -> "#bcbd22";
        };
    }

    /** @return a label short enough for a legend */
    private static String shortLabel(Contender contender) {
        return switch (contender) {
            case ADAPTER -> "Adapter (barging)";
            case ADAPTER_FIFO -> "Adapter (fifo)";
            case ADAPTER_HYBRID -> "Adapter (hybrid)";
            case LEASE -> "Lease";
            case LOCKED -> "@Locked";
            case RLOCK -> "raw RLock";
            case RFAIRLOCK -> "raw RFairLock";
            case GO_PACKAGE -> "Go package (poll 250 ms)";
            case FLOOR -> "floor: SET NX PX + delete";
            case PING -> "PING";
        };
    }

    /** @return the share of sorted {@code waits} that are at most {@code nanos} */
    private static double atMost(long[] waits, double nanos) {
        long limit = (long) Math.floor(nanos);
        int index = Arrays.binarySearch(waits, limit);
        if (index < 0) {
            return (double) (-index - 1) / waits.length;
        }
        while (index + 1 < waits.length && waits[index + 1] == limit) {
            index++;
        }
        return (double) (index + 1) / waits.length;
    }

    private static String decadeLabel(int decade) {
        return decadeFree(Math.pow(10, decade));
    }

    private static String decadeFree(double millis) {
        if (millis >= 1000) {
            return trim(millis / 1000) + " s";
        }
        if (millis >= 1) {
            return trim(millis) + " ms";
        }
        return trim(millis * 1000) + " µs";
    }

    private static String duration(double millis) {
        if (Double.isNaN(millis)) {
            return "–";
        }
        if (millis >= 1000) {
            return String.format(Locale.ROOT, "%.2f s", millis / 1000);
        }
        return String.format(Locale.ROOT, millis < 10 ? "%.2f ms" : "%.0f ms", millis);
    }

    private static String trim(double value) {
        return value == Math.rint(value) ? Long.toString((long) value)
                : new java.math.BigDecimal(String.format(Locale.ROOT, "%.3g", value)).stripTrailingZeros().toPlainString();
    }

    private static double niceStep(double rough) {
        if (rough <= 0) {
            return 1;
        }
        double magnitude = Math.pow(10, Math.floor(Math.log10(rough)));
        double fraction = rough / magnitude;
        double nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
        return nice * magnitude;
    }
}
