package leviathan.tools;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.Stroke;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import javax.imageio.ImageIO;

import leviathan.model.AtomicFiles;

/**
 * Small charts for the tools' reports, drawn with java.awt on a headless JVM and written as PNG:
 * line charts with linear or logarithmic axes (loss curves, error against m, time against T) and
 * grouped bar charts (one bar per series in each category, e.g. backends × stages). A chart has a
 * title, axis labels and a legend; several charts make one figure, laid out in a grid.
 *
 * <pre>
 *   Plot a = Plot.lines("validation loss").xLabel("step").yLabel("loss")
 *           .line("attention", steps, loss).line("performer", steps, loss2);
 *   Plot b = Plot.bars("step time", List.of("jvm", "tornado")).yLabel("ms").bar("forward", fwd).bar("backward", bwd);
 *   Plot.writePng(Path.of("report.png"), 560, 420, 2, a, b);
 * </pre>
 * Points that an axis cannot show (non-finite, or ≤ 0 on a log axis) are left out and break the line.
 */
public final class Plot {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    /** How a series is stroked. */
    public enum Style { SOLID, DASHED, DOTTED }

    /** Where the legend box sits inside the plotting area. */
    public enum Corner { TOP_LEFT, TOP_RIGHT, BOTTOM_LEFT, BOTTOM_RIGHT }

    /** The Okabe–Ito colours (distinguishable with the common colour-vision deficiencies). */
    public static final Color[] PALETTE = {
        new Color(0x0072B2), new Color(0xD55E00), new Color(0x009E73), new Color(0xCC79A7),
        new Color(0xE69F00), new Color(0x56B4E9), new Color(0x000000), new Color(0xF0E442),
    };

    private enum Kind { LINES, BARS }

    private static final class Series {
        final String name;
        final double[] x;
        final double[] y;
        final Color color;
        final Style style;

        Series(String name, double[] x, double[] y, Color color, Style style) {
            this.name = name;
            this.x = x;
            this.y = y;
            this.color = color;
            this.style = style;
        }
    }

    private static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 14);
    private static final Font LABEL_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    private static final Font TICK_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
    private static final Color GRID = new Color(0xE3E3E3);
    private static final Color MINOR_GRID = new Color(0xF2F2F2);
    private static final int MARGIN_LEFT = 70, MARGIN_RIGHT = 18, MARGIN_TOP = 34, MARGIN_BOTTOM = 50;

    private final Kind kind;
    private final String title;
    private final List<String> categories;
    private final List<Series> series = new ArrayList<>();
    private String xLabel = "";
    private String yLabel = "";
    private boolean logX;
    private boolean logY;
    private double yMin = Double.NaN;
    private double yMax = Double.NaN;
    private Corner legend = Corner.TOP_RIGHT;

    private Plot(Kind kind, String title, List<String> categories) {
        this.kind = kind;
        this.title = title;
        this.categories = categories;
    }

    /** A line chart. */
    public static Plot lines(String title) {
        return new Plot(Kind.LINES, title, List.of());
    }

    /** A grouped bar chart over these categories (the x axis); each {@link #bar} series gives one value per category. */
    public static Plot bars(String title, List<String> categories) {
        if (categories.isEmpty()) {
            throw new IllegalArgumentException("a bar chart needs at least one category");
        }
        return new Plot(Kind.BARS, title, List.copyOf(categories));
    }

    public Plot xLabel(String label) {
        this.xLabel = label;
        return this;
    }

    public Plot yLabel(String label) {
        this.yLabel = label;
        return this;
    }

    /** Logarithmic x axis (line charts). */
    public Plot logX() {
        if (kind == Kind.BARS) {
            throw new IllegalArgumentException("a bar chart's x axis holds categories; it cannot be logarithmic");
        }
        this.logX = true;
        return this;
    }

    public Plot logY() {
        this.logY = true;
        return this;
    }

    /** Fixes the y axis to [min, max] instead of fitting the data; what lies outside is clipped. */
    public Plot yRange(double min, double max) {
        if (!(min < max) || (logY && min <= 0)) {
            throw new IllegalArgumentException("invalid y range [" + min + ", " + max + "]" + (logY ? " for a log axis" : ""));
        }
        this.yMin = min;
        this.yMax = max;
        return this;
    }

    public Plot legend(Corner corner) {
        this.legend = corner;
        return this;
    }

    /** A solid line with markers in the next palette colour. */
    public Plot line(String name, double[] x, double[] y) {
        return line(name, x, y, PALETTE[series.size() % PALETTE.length], Style.SOLID);
    }

    public Plot line(String name, double[] x, double[] y, Color color, Style style) {
        if (kind != Kind.LINES) {
            throw new IllegalArgumentException("add bars to a bar chart with bar()");
        }
        if (x.length != y.length) {
            throw new IllegalArgumentException("series " + name + ": " + x.length + " x values but " + y.length + " y values");
        }
        series.add(new Series(name, x.clone(), y.clone(), color, style));
        return this;
    }

    /** One bar per category, in the next palette colour. */
    public Plot bar(String name, double[] values) {
        if (kind != Kind.BARS) {
            throw new IllegalArgumentException("add lines to a line chart with line()");
        }
        if (values.length != categories.size()) {
            throw new IllegalArgumentException("series " + name + ": " + values.length + " values for " + categories.size() + " categories");
        }
        series.add(new Series(name, null, values.clone(), PALETTE[series.size() % PALETTE.length], Style.SOLID));
        return this;
    }

    // ------------------------------------------------------------------ figures and files

    /** This chart alone, width × height pixels. */
    public BufferedImage render(int width, int height) {
        return figure(width, height, 1, this);
    }

    /** Charts in a grid of {@code columns}, each panelWidth × panelHeight pixels, on white. */
    public static BufferedImage figure(int panelWidth, int panelHeight, int columns, Plot... panels) {
        if (panels.length == 0 || columns <= 0 || panelWidth < 200 || panelHeight < 150) {
            throw new IllegalArgumentException("a figure needs at least one chart, columns > 0 and panels of at least 200×150 pixels");
        }
        int cols = Math.min(columns, panels.length);
        int rows = (panels.length + cols - 1) / cols;
        BufferedImage image = new BufferedImage(cols * panelWidth, rows * panelHeight, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, image.getWidth(), image.getHeight());
            for (int i = 0; i < panels.length; i++) {
                panels[i].draw(g, new Rectangle((i % cols) * panelWidth, (i / cols) * panelHeight, panelWidth, panelHeight));
            }
        } finally {
            g.dispose();
        }
        return image;
    }

    /** Writes an image as PNG, atomically. */
    public static void writePng(Path file, BufferedImage image) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        if (!ImageIO.write(image, "png", bytes)) {
            throw new IOException("no PNG writer in this JVM");
        }
        byte[] png = bytes.toByteArray();
        AtomicFiles.write(file, ch -> {
            ByteBuffer b = ByteBuffer.wrap(png);
            while (b.hasRemaining()) {
                ch.write(b);
            }
        });
    }

    public static void writePng(Path file, int panelWidth, int panelHeight, int columns, Plot... panels) throws IOException {
        writePng(file, figure(panelWidth, panelHeight, columns, panels));
    }

    // ------------------------------------------------------------------ drawing

    /** Draws the chart into {@code box} of g. */
    public void draw(Graphics2D g, Rectangle box) {
        Rectangle area = new Rectangle(box.x + MARGIN_LEFT, box.y + MARGIN_TOP,
                box.width - MARGIN_LEFT - MARGIN_RIGHT, box.height - MARGIN_TOP - MARGIN_BOTTOM);
        drawTitleAndLabels(g, box, area);
        Axis y = yAxis();
        if (y == null) {
            drawCentred(g, "no data", LABEL_FONT, area.x + area.width / 2, area.y + area.height / 2);
            drawFrame(g, area);
            return;
        }
        if (kind == Kind.LINES) {
            Axis x = xAxis();
            drawGrid(g, area, x, y);
            drawLines(g, area, x, y);
        } else {
            drawGrid(g, area, null, y);
            drawBars(g, area, y);
        }
        drawFrame(g, area);
        drawLegend(g, area);
    }

    private void drawTitleAndLabels(Graphics2D g, Rectangle box, Rectangle area) {
        g.setColor(Color.BLACK);
        drawCentred(g, title, TITLE_FONT, box.x + box.width / 2, box.y + 20);
        drawCentred(g, xLabel, LABEL_FONT, area.x + area.width / 2, box.y + box.height - 10);
        AffineTransform saved = g.getTransform();
        g.translate(box.x + 16, area.y + area.height / 2.0);
        g.rotate(-Math.PI / 2);
        drawCentred(g, yLabel, LABEL_FONT, 0, 0);
        g.setTransform(saved);
    }

    private static void drawCentred(Graphics2D g, String text, Font font, int cx, int baseline) {
        g.setFont(font);
        FontMetrics fm = g.getFontMetrics();
        g.drawString(text, cx - fm.stringWidth(text) / 2, baseline);
    }

    private static void drawFrame(Graphics2D g, Rectangle area) {
        g.setColor(Color.DARK_GRAY);
        g.setStroke(new BasicStroke(1f));
        g.draw(area);
    }

    private void drawGrid(Graphics2D g, Rectangle area, Axis x, Axis y) {
        g.setFont(TICK_FONT);
        FontMetrics fm = g.getFontMetrics();
        g.setStroke(new BasicStroke(1f));
        for (double v : y.minorTicks()) {
            int py = y.toPixel(v, area.y + area.height, -area.height);
            g.setColor(MINOR_GRID);
            g.drawLine(area.x, py, area.x + area.width, py);
        }
        for (double v : y.ticks()) {
            int py = y.toPixel(v, area.y + area.height, -area.height);
            g.setColor(GRID);
            g.drawLine(area.x, py, area.x + area.width, py);
            g.setColor(Color.BLACK);
            g.drawLine(area.x - 4, py, area.x, py);
            String label = y.label(v);
            g.drawString(label, area.x - 7 - fm.stringWidth(label), py + fm.getAscent() / 2 - 1);
        }
        if (x == null) {
            return;
        }
        for (double v : x.minorTicks()) {
            int px = x.toPixel(v, area.x, area.width);
            g.setColor(MINOR_GRID);
            g.drawLine(px, area.y, px, area.y + area.height);
        }
        for (double v : x.ticks()) {
            int px = x.toPixel(v, area.x, area.width);
            g.setColor(GRID);
            g.drawLine(px, area.y, px, area.y + area.height);
            g.setColor(Color.BLACK);
            g.drawLine(px, area.y + area.height, px, area.y + area.height + 4);
            String label = x.label(v);
            g.drawString(label, px - fm.stringWidth(label) / 2, area.y + area.height + 6 + fm.getAscent());
        }
    }

    private void drawLines(Graphics2D g, Rectangle area, Axis x, Axis y) {
        Shape clip = g.getClip();
        g.clip(new Rectangle(area.x - 3, area.y - 3, area.width + 7, area.height + 7));
        for (Series s : series) {
            g.setColor(s.color);
            g.setStroke(stroke(s.style, 1.8f));
            Path2D.Double path = new Path2D.Double();
            boolean open = false;
            for (int i = 0; i < s.x.length; i++) {
                if (!x.shows(s.x[i]) || !y.shows(s.y[i])) {
                    open = false;
                    continue;
                }
                double px = x.toPixelExact(s.x[i], area.x, area.width);
                double py = y.toPixelExact(s.y[i], area.y + area.height, -area.height);
                if (open) {
                    path.lineTo(px, py);
                } else {
                    path.moveTo(px, py);
                    open = true;
                }
            }
            g.draw(path);
            if (s.style != Style.DOTTED) {
                g.setStroke(new BasicStroke(1f));
                for (int i = 0; i < s.x.length; i++) {
                    if (x.shows(s.x[i]) && y.shows(s.y[i])) {
                        double px = x.toPixelExact(s.x[i], area.x, area.width);
                        double py = y.toPixelExact(s.y[i], area.y + area.height, -area.height);
                        g.fill(new Ellipse2D.Double(px - 2.5, py - 2.5, 5, 5));
                    }
                }
            }
        }
        g.setClip(clip);
    }

    private void drawBars(Graphics2D g, Rectangle area, Axis y) {
        int n = categories.size();
        double slot = area.width / (double) n;
        double barWidth = 0.8 * slot / Math.max(1, series.size());
        double base = y.toPixelExact(y.low, area.y + area.height, -area.height);
        g.setFont(TICK_FONT);
        FontMetrics fm = g.getFontMetrics();
        boolean stagger = false;
        for (String category : categories) {
            stagger |= fm.stringWidth(category) > slot - 4;
        }
        for (int c = 0; c < n; c++) {
            double left = area.x + c * slot + 0.1 * slot;
            for (int k = 0; k < series.size(); k++) {
                Series s = series.get(k);
                double v = s.y[c];
                if (!y.shows(v)) {
                    continue;
                }
                double top = y.toPixelExact(Math.min(v, y.high), area.y + area.height, -area.height);
                Rectangle2D.Double bar = new Rectangle2D.Double(left + k * barWidth, Math.min(top, base), barWidth - 1, Math.abs(base - top));
                g.setColor(s.color);
                g.fill(bar);
            }
            g.setColor(Color.BLACK);
            // Labels too wide for their slot alternate between two rows, so each gets two slots' width.
            int row = stagger && c % 2 == 1 ? 1 : 0;
            String label = fit(categories.get(c), fm, (int) (stagger ? 2 * slot : slot) - 4);
            g.drawString(label, (int) (area.x + (c + 0.5) * slot) - fm.stringWidth(label) / 2,
                    area.y + area.height + 6 + fm.getAscent() + row * fm.getHeight());
        }
    }

    private static String fit(String text, FontMetrics fm, int width) {
        if (fm.stringWidth(text) <= width) {
            return text;
        }
        String t = text;
        while (t.length() > 1 && fm.stringWidth(t + "…") > width) {
            t = t.substring(0, t.length() - 1);
        }
        return t + "…";
    }

    private void drawLegend(Graphics2D g, Rectangle area) {
        if (series.isEmpty()) {
            return;
        }
        g.setFont(TICK_FONT);
        FontMetrics fm = g.getFontMetrics();
        int sample = 22, pad = 6, line = fm.getHeight();
        int textWidth = 0;
        for (Series s : series) {
            textWidth = Math.max(textWidth, fm.stringWidth(s.name));
        }
        int w = pad + sample + 6 + textWidth + pad, h = pad + line * series.size() + pad - 2;
        boolean left = legend == Corner.TOP_LEFT || legend == Corner.BOTTOM_LEFT;
        boolean top = legend == Corner.TOP_LEFT || legend == Corner.TOP_RIGHT;
        int x0 = left ? area.x + 8 : area.x + area.width - 8 - w;
        int y0 = top ? area.y + 8 : area.y + area.height - 8 - h;
        g.setColor(new Color(255, 255, 255, 225));
        g.fillRect(x0, y0, w, h);
        g.setColor(Color.GRAY);
        g.setStroke(new BasicStroke(1f));
        g.drawRect(x0, y0, w, h);
        for (int i = 0; i < series.size(); i++) {
            Series s = series.get(i);
            int cy = y0 + pad + i * line + line / 2;
            g.setColor(s.color);
            if (kind == Kind.BARS) {
                g.fillRect(x0 + pad + 5, cy - 5, 12, 10);
            } else {
                g.setStroke(stroke(s.style, 1.8f));
                g.drawLine(x0 + pad, cy, x0 + pad + sample, cy);
                if (s.style != Style.DOTTED) {
                    g.fill(new Ellipse2D.Double(x0 + pad + sample / 2.0 - 2.5, cy - 2.5, 5, 5));
                }
            }
            g.setColor(Color.BLACK);
            g.drawString(s.name, x0 + pad + sample + 6, cy + fm.getAscent() / 2 - 1);
        }
    }

    private static Stroke stroke(Style style, float width) {
        switch (style) {
            case DASHED:
                return new BasicStroke(width, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[] {7f, 4f}, 0f);
            case DOTTED:
                return new BasicStroke(width, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 10f, new float[] {1f, 4f}, 0f);
            default:
                return new BasicStroke(width, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
        }
    }

    // ------------------------------------------------------------------ axes

    private Axis xAxis() {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (int i = 0; i < s.x.length; i++) {
                if (Axis.showable(s.x[i], logX) && Axis.showable(s.y[i], logY)) {
                    lo = Math.min(lo, s.x[i]);
                    hi = Math.max(hi, s.x[i]);
                }
            }
        }
        return Axis.fit(lo, hi, logX, false);
    }

    private Axis yAxis() {
        if (!Double.isNaN(yMin)) {
            return new Axis(yMin, yMax, logY);
        }
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (int i = 0; i < s.y.length; i++) {
                boolean xOk = s.x == null || Axis.showable(s.x[i], logX);
                if (xOk && Axis.showable(s.y[i], logY)) {
                    lo = Math.min(lo, s.y[i]);
                    hi = Math.max(hi, s.y[i]);
                }
            }
        }
        if (lo > hi) {
            return null;
        }
        return Axis.fit(kind == Kind.BARS && !logY ? Math.min(0, lo) : lo, hi, logY, kind == Kind.BARS);
    }

    /** One axis: its range, mapping to pixels, ticks and tick labels. */
    private static final class Axis {
        final double low;
        final double high;
        final boolean log;

        Axis(double low, double high, boolean log) {
            this.low = low;
            this.high = high;
            this.log = log;
        }

        static boolean showable(double v, boolean log) {
            return Double.isFinite(v) && (!log || v > 0);
        }

        /** The data range widened to whole decades (log) or to multiples of a 1-2-5 step (linear). */
        static Axis fit(double lo, double hi, boolean log, boolean fromZero) {
            if (lo > hi) {
                return log ? new Axis(1, 10, true) : new Axis(0, 1, false);
            }
            if (log) {
                double a = Math.floor(Math.log10(lo) + 1e-9), b = Math.ceil(Math.log10(hi) - 1e-9);
                if (a >= b) {
                    a -= 0.5;
                    b += 0.5;
                }
                return new Axis(Math.pow(10, a), Math.pow(10, b), true);
            }
            if (lo == hi) {
                double pad = lo == 0 ? 1 : Math.abs(lo) * 0.1;
                lo -= pad;
                hi += pad;
            }
            double step = niceStep((hi - lo) / 5);
            double a = Math.floor(lo / step + 1e-9) * step, b = Math.ceil(hi / step - 1e-9) * step;
            return new Axis(fromZero && lo >= 0 ? 0 : a, b, false);
        }

        static double niceStep(double raw) {
            double p = Math.pow(10, Math.floor(Math.log10(raw)));
            double f = raw / p;
            return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
        }

        boolean shows(double v) {
            return showable(v, log);
        }

        private double t(double v) {
            return log ? Math.log10(v) : v;
        }

        double toPixelExact(double v, int origin, int length) {
            return origin + (t(v) - t(low)) / (t(high) - t(low)) * length;
        }

        int toPixel(double v, int origin, int length) {
            return (int) Math.round(toPixelExact(v, origin, length));
        }

        List<Double> ticks() {
            List<Double> out = new ArrayList<>();
            if (log) {
                int a = (int) Math.ceil(Math.log10(low) - 1e-9), b = (int) Math.floor(Math.log10(high) + 1e-9);
                int every = Math.max(1, (b - a + 7) / 8);
                for (int k = a; k <= b; k++) {
                    if ((k - a) % every == 0) {
                        out.add(Math.pow(10, k));
                    }
                }
                return out;
            }
            double step = niceStep((high - low) / 5);
            for (double v = Math.ceil(low / step - 1e-9) * step; v <= high + step * 1e-9; v += step) {
                out.add(Math.abs(v) < step * 1e-9 ? 0.0 : v);
            }
            return out;
        }

        /** 2·10^k … 9·10^k on log axes spanning few decades; none otherwise. */
        List<Double> minorTicks() {
            List<Double> out = new ArrayList<>();
            if (!log || Math.log10(high / low) > 6) {
                return out;
            }
            for (int k = (int) Math.floor(Math.log10(low)); k <= (int) Math.ceil(Math.log10(high)); k++) {
                for (int f = 2; f <= 9; f++) {
                    double v = f * Math.pow(10, k);
                    if (v > low && v < high) {
                        out.add(v);
                    }
                }
            }
            return out;
        }

        String label(double v) {
            if (v == 0) {
                return "0";
            }
            double a = Math.abs(v);
            if (log) {
                int k = (int) Math.round(Math.log10(a));
                return k >= -3 && k <= 4 ? plain(v) : "1e" + k;
            }
            if (a >= 1e5 || a < 1e-3) {
                return String.format(Locale.ROOT, "%.1e", v);
            }
            return plain(v);
        }

        private static String plain(double v) {
            String s = String.format(Locale.ROOT, "%.4f", v);
            s = s.replaceAll("0+$", "");
            return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
        }
    }
}
