package leviathan.tools;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.Stroke;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.text.FieldPosition;
import java.text.NumberFormat;
import java.text.ParsePosition;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import javax.imageio.ImageIO;

import org.jfree.chart.ChartRenderingInfo;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.axis.LogarithmicAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.Plot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StatisticalLineAndShapeRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.statistics.DefaultStatisticalCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import leviathan.model.AtomicFiles;

/**
 * The tools' PNG charts, drawn by JFreeChart on a headless JVM: line charts of (x, y) series with
 * linear or logarithmic axes, grouped bar charts, several charts in one figure, written atomically.
 * Each chart has a title, labelled axes and a legend below the plot that names every series.
 * Points an axis cannot show (non-finite, or ≤ 0 on a log axis) are left out and break the line.
 *
 * <pre>
 *   JFreeChart loss = Charts.lines("validation loss", "step", "loss", false, false);
 *   Charts.line(loss, "attention", steps, values, Charts.PALETTE[0], Charts.Style.SOLID);
 *   Charts.writePng(Path.of("loss.png"), Charts.figure(760, 480, 1, loss));
 * </pre>
 */
final class Charts {
    static {
        // Before any AWT class looks for a display: the tools run on servers without one.
        System.setProperty("java.awt.headless", "true");
    }

    private Charts() {}

    /** How a line is stroked. */
    enum Style { SOLID, DASHED }

    /** The Okabe–Ito colours (distinguishable with the common colour-vision deficiencies). */
    static final Color[] PALETTE = {
        new Color(0x0072B2), new Color(0xD55E00), new Color(0x009E73), new Color(0xCC79A7),
        new Color(0xE69F00), new Color(0x56B4E9), new Color(0x000000), new Color(0xF0E442),
    };

    private static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 14);
    private static final Font LABEL_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    private static final Font TICK_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
    private static final Color GRID = new Color(0xD8D8D8);

    /** An empty line chart; add series with {@link #line}. */
    static JFreeChart lines(String title, String xLabel, String yLabel, boolean logX, boolean logY) {
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        XYPlot plot = new XYPlot(new XYSeriesCollection(), axis(xLabel, logX), axis(yLabel, logY), renderer);
        return styled(new JFreeChart(title, TITLE_FONT, plot, true), plot);
    }

    /**
     * Adds a series to a chart made by {@link #lines}. Points the axes cannot show become gaps (a NaN y
     * breaks JFreeChart's line); an x that cannot be shown leaves the point out.
     */
    static void line(JFreeChart chart, String name, double[] x, double[] y, Color color, Style style) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("series " + name + ": " + x.length + " x values but " + y.length + " y values");
        }
        XYPlot plot = chart.getXYPlot();
        boolean logX = plot.getDomainAxis() instanceof LogAxis, logY = plot.getRangeAxis() instanceof LogAxis;
        XYSeries series = new XYSeries(name, false, true);   // in the given order, repeated x allowed
        for (int i = 0; i < x.length; i++) {
            if (showable(x[i], logX)) {
                series.add(x[i], showable(y[i], logY) ? y[i] : Double.NaN);
            }
        }
        XYSeriesCollection data = (XYSeriesCollection) plot.getDataset();
        int index = data.getSeriesCount();
        data.addSeries(series);
        XYLineAndShapeRenderer renderer = (XYLineAndShapeRenderer) plot.getRenderer();
        renderer.setSeriesPaint(index, color);
        renderer.setSeriesStroke(index, stroke(style));
        renderer.setSeriesShape(index, new Ellipse2D.Double(-3, -3, 6, 6));
    }

    /**
     * A grouped bar chart: for each category (along x) one bar per series, in the palette's colours in
     * the order of {@code series} (name → one value per category); a value the axis cannot show draws no bar.
     */
    static JFreeChart bars(String title, String yLabel, boolean logY, List<String> categories, Map<String, double[]> series) {
        if (categories.isEmpty()) {
            throw new IllegalArgumentException("a bar chart needs at least one category");
        }
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        BarRenderer renderer = new BarRenderer();
        int index = 0;
        for (Map.Entry<String, double[]> e : series.entrySet()) {
            double[] values = e.getValue();
            if (values.length != categories.size()) {
                throw new IllegalArgumentException("series " + e.getKey() + ": " + values.length + " values for "
                        + categories.size() + " categories");
            }
            for (int i = 0; i < values.length; i++) {
                data.addValue(showable(values[i], logY) ? values[i] : null, e.getKey(), categories.get(i));
            }
            renderer.setSeriesPaint(index, PALETTE[index % PALETTE.length]);
            index++;
        }
        renderer.setBarPainter(new StandardBarPainter());   // flat bars in the series colour: no gradient, no shadow
        renderer.setShadowVisible(false);
        renderer.setItemMargin(0.02);
        renderer.setIncludeBaseInRange(!logY);   // the base 0 has no place on a log axis
        CategoryAxis categoryAxis = new CategoryAxis();
        categoryAxis.setCategoryLabelPositions(CategoryLabelPositions.UP_45);   // long kernel names stay readable
        CategoryPlot plot = new CategoryPlot(data, categoryAxis, axis(yLabel, logY), renderer);
        plot.setOrientation(PlotOrientation.VERTICAL);
        return styled(new JFreeChart(title, TITLE_FONT, plot, true), plot);
    }

    /** One series of {@link #means}: a mean per category and its ± error (NaN: no error bar, e.g. a single value). */
    record MeanSeries(double[] means, double[] errors) {}

    /**
     * Means with error bars: for each category (along x) one point per series, mean ± error, not joined
     * by lines (the categories are not a sequence). Unlike bars, the value axis need not start at zero,
     * so differences of a few hundredths stay visible. A non-finite mean draws no point.
     */
    static JFreeChart means(String title, String yLabel, List<String> categories, Map<String, MeanSeries> series) {
        if (categories.isEmpty()) {
            throw new IllegalArgumentException("a chart of means needs at least one category");
        }
        DefaultStatisticalCategoryDataset data = new DefaultStatisticalCategoryDataset();
        StatisticalLineAndShapeRenderer renderer = new StatisticalLineAndShapeRenderer(false, true);
        int index = 0;
        for (Map.Entry<String, MeanSeries> e : series.entrySet()) {
            MeanSeries s = e.getValue();
            if (s.means().length != categories.size() || s.errors().length != categories.size()) {
                throw new IllegalArgumentException("series " + e.getKey() + ": " + s.means().length + " means and " + s.errors().length
                        + " errors for " + categories.size() + " categories");
            }
            for (int i = 0; i < categories.size(); i++) {
                Double mean = Double.isFinite(s.means()[i]) ? s.means()[i] : null;
                Double error = mean != null && Double.isFinite(s.errors()[i]) ? s.errors()[i] : null;
                data.add(mean, error, e.getKey(), categories.get(i));
            }
            renderer.setSeriesPaint(index, PALETTE[index % PALETTE.length]);
            renderer.setSeriesShape(index, new Ellipse2D.Double(-4, -4, 8, 8));
            index++;
        }
        renderer.setErrorIndicatorStroke(new BasicStroke(1.5f));
        renderer.setUseSeriesOffset(true);   // the series of one category side by side, not on top of each other
        renderer.setItemMargin(0.3);
        CategoryPlot plot = new CategoryPlot(data, new CategoryAxis(), axis(yLabel, false), renderer);
        plot.setOrientation(PlotOrientation.VERTICAL);
        return styled(new JFreeChart(title, TITLE_FONT, plot, true), plot);
    }

    /** Charts drawn into one image, and where each chart's data area (the plot inside its axes) landed in it. */
    record Figure(BufferedImage image, List<Rectangle2D> dataAreas) {}

    /** Charts in a grid of {@code columns}, each panelWidth × panelHeight pixels, on white. */
    static Figure figure(int panelWidth, int panelHeight, int columns, JFreeChart... charts) {
        if (charts.length == 0 || columns <= 0 || panelWidth < 200 || panelHeight < 150) {
            throw new IllegalArgumentException("a figure needs at least one chart, columns > 0 and panels of at least 200×150 pixels");
        }
        int cols = Math.min(columns, charts.length);
        int rows = (charts.length + cols - 1) / cols;
        BufferedImage image = new BufferedImage(cols * panelWidth, rows * panelHeight, BufferedImage.TYPE_INT_RGB);
        List<Rectangle2D> areas = new ArrayList<>();
        Graphics2D g = image.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, image.getWidth(), image.getHeight());
            for (int i = 0; i < charts.length; i++) {
                ChartRenderingInfo info = new ChartRenderingInfo();
                Rectangle2D panel = new Rectangle2D.Double((i % cols) * panelWidth, (i / cols) * panelHeight, panelWidth, panelHeight);
                charts[i].draw(g, panel, info);
                areas.add((Rectangle2D) info.getPlotInfo().getDataArea().clone());
            }
        } finally {
            g.dispose();
        }
        return new Figure(image, List.copyOf(areas));
    }

    /** Writes a figure as PNG, atomically (a reader never sees half a file). */
    static void writePng(Path file, Figure figure) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        if (!ImageIO.write(figure.image(), "png", bytes)) {
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

    private static boolean showable(double v, boolean log) {
        return Double.isFinite(v) && (!log || v > 0);
    }

    private static ValueAxis axis(String label, boolean log) {
        NumberAxis axis = log ? new LogAxis(label) : new NumberAxis(label);
        axis.setAutoRangeIncludesZero(false);
        axis.setTickLabelFont(TICK_FONT);
        axis.setLabelFont(LABEL_FONT);
        return axis;
    }

    /**
     * A base-10 log axis whose tick labels read as numbers (0.01, 20, 500) between 10⁻³ and 10⁵ and as
     * 1e-6, 2e8 beyond. It never throws on non-positive data: {@link #line} and {@link #bars} leave those out.
     */
    private static final class LogAxis extends LogarithmicAxis {
        private static final long serialVersionUID = 1L;

        LogAxis(String label) {
            super(label);
            setStrictValuesFlag(false);
            setAutoRangeNextLogFlag(true);   // whole decades, as on log paper: at least two labelled ticks
            setLowerMargin(0);   // the decades around the data, not the decades around the data plus margins
            setUpperMargin(0);
            setNumberFormatOverride(new LogTickFormat());
        }
    }

    /** The tick labels of {@link LogAxis}: 4 significant digits, plain between 10⁻³ and 10⁵, "2e8" beyond. */
    static final class LogTickFormat extends NumberFormat {
        private static final long serialVersionUID = 1L;

        @Override
        public StringBuffer format(double v, StringBuffer to, FieldPosition pos) {
            double a = Math.abs(v);
            if (!Double.isFinite(v) || a == 0 || (a >= 1e-3 && a < 1e5)) {
                return to.append(Double.isFinite(v) ? new BigDecimal(v).round(new MathContext(4)).stripTrailingZeros().toPlainString() : "");
            }
            int exponent = (int) Math.floor(Math.log10(a) + 1e-9);
            return to.append(Math.round(v / Math.pow(10, exponent))).append('e').append(exponent);
        }

        @Override
        public StringBuffer format(long v, StringBuffer to, FieldPosition pos) {
            return format((double) v, to, pos);
        }

        /** Tick labels are only written. */
        @Override
        public Number parse(String source, ParsePosition pos) {
            return null;
        }
    }

    private static JFreeChart styled(JFreeChart chart, Plot plot) {
        chart.setBackgroundPaint(Color.WHITE);
        chart.setPadding(new RectangleInsets(4, 4, 4, 16));   // room for the last tick label on the right
        plot.setBackgroundPaint(Color.WHITE);
        plot.setOutlinePaint(Color.DARK_GRAY);
        if (plot instanceof XYPlot xy) {
            xy.setDomainGridlinePaint(GRID);
            xy.setRangeGridlinePaint(GRID);
        } else if (plot instanceof CategoryPlot cat) {
            cat.setRangeGridlinePaint(GRID);
            cat.getDomainAxis().setTickLabelFont(TICK_FONT);
        }
        LegendTitle legend = chart.getLegend();
        legend.setPosition(RectangleEdge.BOTTOM);
        legend.setItemFont(TICK_FONT);
        return chart;
    }

    private static Stroke stroke(Style style) {
        if (style == Style.DASHED) {
            return new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[] {7f, 4f}, 0f);
        }
        return new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
    }
}
