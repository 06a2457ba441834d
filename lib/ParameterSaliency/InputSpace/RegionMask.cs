namespace ParameterSaliency.InputSpace;

/// <summary>A set of pixels of an H×W image (row-major): the region that masking replaces or pasting copies.</summary>
public sealed class RegionMask
{
    RegionMask(bool[] pixels, int height, int width, string description)
    {
        Pixels = pixels;
        Height = height;
        Width = width;
        Description = description;
        Count = pixels.Count(p => p);
    }

    /// <summary>True for the pixels inside the region, row-major [H, W].</summary>
    public IReadOnlyList<bool> Pixels { get; }
    /// <summary>Height H.</summary>
    public int Height { get; }
    /// <summary>Width W.</summary>
    public int Width { get; }
    /// <summary>Number of pixels inside.</summary>
    public int Count { get; }
    /// <summary>How the region was made, e.g. "top 5% of the heatmap".</summary>
    public string Description { get; }
    /// <summary>Share of the image inside the region.</summary>
    public double Fraction => (double)Count / Pixels.Count;

    /// <summary>The ⌈q·H·W⌉ pixels with the largest values of <paramref name="heatmap"/> [H, W] (ties: earlier pixel first).</summary>
    /// <param name="heatmap">Map values, row-major [H, W].</param>
    /// <param name="height">Height H of the map.</param>
    /// <param name="width">Width W of the map.</param>
    /// <param name="fraction">Share q of the pixels to take, in (0, 1].</param>
    public static RegionMask TopFraction(IReadOnlyList<float> heatmap, int height, int width, double fraction)
    {
        if (heatmap.Count != height * width) throw new ArgumentException($"The heatmap has {heatmap.Count} values, not {height}x{width}.");
        if (!(fraction > 0 && fraction <= 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "A fraction in (0, 1].");
        int count = (int)Math.Ceiling(fraction * heatmap.Count - 1e-9);
        return Top(heatmap, height, width, count, $"top {fraction:P1} of the heatmap ({count} pixels)");
    }

    /// <summary>The <paramref name="count"/> pixels with the largest values of <paramref name="heatmap"/> [H, W] (ties: earlier pixel first); 0 gives the empty region.</summary>
    /// <param name="heatmap">Map values, row-major [H, W].</param>
    /// <param name="height">Height H of the map.</param>
    /// <param name="width">Width W of the map.</param>
    /// <param name="count">Pixels to take, in [0, H·W].</param>
    public static RegionMask TopCount(IReadOnlyList<float> heatmap, int height, int width, int count)
    {
        if (heatmap.Count != height * width) throw new ArgumentException($"The heatmap has {heatmap.Count} values, not {height}x{width}.");
        if (count < 0 || count > heatmap.Count) throw new ArgumentOutOfRangeException(nameof(count), count, $"Between 0 and the {heatmap.Count} pixels.");
        return Top(heatmap, height, width, count, $"top {count} pixels of the heatmap");
    }

    static RegionMask Top(IReadOnlyList<float> heatmap, int height, int width, int count, string description)
    {
        var pixels = new bool[heatmap.Count];
        foreach (int p in Enumerable.Range(0, heatmap.Count).OrderByDescending(p => heatmap[p]).ThenBy(p => p).Take(count)) pixels[p] = true;
        return new RegionMask(pixels, height, width, description);
    }

    /// <summary>Every pixel outside this region (insertion reveals a region by blurring its complement).</summary>
    public RegionMask Complement() => new(Pixels.Select(p => !p).ToArray(), Height, Width, $"outside the {Description}");

    /// <summary>The top fraction of <paramref name="heatmap"/>'s <see cref="InputHeatmap.Raw"/> map.</summary>
    /// <param name="heatmap">Heatmap whose <see cref="InputHeatmap.Raw"/> map [H, W] is ranked.</param>
    /// <param name="fraction">Share q of the pixels to take, in (0, 1].</param>
    public static RegionMask TopFraction(InputHeatmap heatmap, double fraction) => TopFraction(heatmap.Raw, heatmap.Height, heatmap.Width, fraction);

    /// <summary>Rows [top, top + height) × columns [left, left + width) of an <paramref name="imageHeight"/>×<paramref name="imageWidth"/> image.</summary>
    /// <param name="imageHeight">Height of the image in pixels.</param>
    /// <param name="imageWidth">Width of the image in pixels.</param>
    /// <param name="top">First row of the rectangle (0-based).</param>
    /// <param name="left">First column of the rectangle (0-based).</param>
    /// <param name="height">Rows in the rectangle, at least 1.</param>
    /// <param name="width">Columns in the rectangle, at least 1.</param>
    public static RegionMask Rectangle(int imageHeight, int imageWidth, int top, int left, int height, int width)
    {
        if (top < 0 || left < 0 || height < 1 || width < 1 || top + height > imageHeight || left + width > imageWidth)
            throw new ArgumentOutOfRangeException(nameof(top), $"Rectangle rows {top}..{top + height - 1}, columns {left}..{left + width - 1} does not fit a {imageHeight}x{imageWidth} image.");
        var pixels = new bool[imageHeight * imageWidth];
        for (int r = top; r < top + height; r++)
            for (int c = left; c < left + width; c++) pixels[r * imageWidth + c] = true;
        return new RegionMask(pixels, imageHeight, imageWidth, $"rectangle rows {top}-{top + height - 1}, columns {left}-{left + width - 1}");
    }

    /// <summary>A user mask [H, W].</summary>
    /// <param name="mask">True for the pixels inside, [H, W], not empty.</param>
    /// <param name="description">How the region was made, shown in reports (default "user mask").</param>
    public static RegionMask From(bool[,] mask, string description = "user mask")
    {
        int height = mask.GetLength(0), width = mask.GetLength(1);
        if (height == 0 || width == 0) throw new ArgumentException("The mask is empty.");
        return new RegionMask(mask.Cast<bool>().ToArray(), height, width, description);
    }

    /// <summary>
    /// The control: as many pixels as this region, drawn uniformly with <paramref name="seed"/> from the pixels
    /// outside it (fewer if the outside is smaller).
    /// </summary>
    /// <param name="seed">Seed of the uniform draw of the outside pixels.</param>
    public RegionMask RandomOutside(int seed)
    {
        var outside = Enumerable.Range(0, Pixels.Count).Where(p => !Pixels[p]).ToArray();
        new Random(seed).Shuffle(outside);
        var pixels = new bool[Pixels.Count];
        foreach (int p in outside.Take(Count)) pixels[p] = true;
        return new RegionMask(pixels, Height, Width, $"{Math.Min(Count, outside.Length)} random pixels outside the {Description} (seed {seed})");
    }

    /// <summary>Whether pixel (row, column) is inside.</summary>
    /// <param name="row">Row of the pixel (0-based).</param>
    /// <param name="column">Column of the pixel (0-based).</param>
    public bool Contains(int row, int column) => Pixels[row * Width + column];

    /// <inheritdoc/>
    public override string ToString() => $"{Description}: {Count} of {Pixels.Count} pixels";
}
