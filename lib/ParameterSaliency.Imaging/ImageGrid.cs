using System.Net;
using System.Text;

namespace ParameterSaliency.Imaging;

/// <summary>A captioned gallery of images that renders itself as HTML (inline PNGs) in a notebook.</summary>
/// <param name="title">Heading shown above the grid (none when empty).</param>
/// <param name="tiles">Images, in display order.</param>
/// <param name="scale">Pixels per image pixel side: each pixel is drawn as a scale x scale block (default 3).</param>
/// <param name="columns">Tiles per row; null for one row in the PNG and wrapping in HTML.</param>
public sealed class ImageGrid(string title, IReadOnlyList<ImageTile> tiles, int scale = 3, int? columns = null)
{
    /// <summary>Heading shown above the grid.</summary>
    public string Title { get; } = title;
    /// <summary>The images, in display order.</summary>
    public IReadOnlyList<ImageTile> Tiles { get; } = tiles;
    /// <summary>Each pixel is drawn as a scale x scale block.</summary>
    public int Scale { get; } = scale;

    /// <summary>HTML: a wrapping grid of inline PNG images with captions; highlighted tiles get a red frame.</summary>
    public string ToHtml()
    {
        var html = new StringBuilder();
        html.Append("<div class=\"saliency-grid\">");
        if (!string.IsNullOrEmpty(Title)) html.Append($"<div style=\"font-weight:bold;margin:4px 0\">{WebUtility.HtmlEncode(Title)}</div>");
        html.Append(columns is int n ? $"<div style=\"display:grid;grid-template-columns:repeat({n},auto);justify-content:start;gap:6px\">" : "<div style=\"display:flex;flex-wrap:wrap;gap:6px\">");
        foreach (var tile in Tiles)
        {
            string border = tile.Highlight ? "2px solid #d62728" : "2px solid transparent";
            html.Append($"<figure style=\"margin:0;text-align:center;width:{tile.Width * Scale + 4}px\">")
                .Append($"<img style=\"border:{border};image-rendering:pixelated\" src=\"data:image/png;base64,{Convert.ToBase64String(tile.ToPng(Scale))}\"/>")
                .Append($"<figcaption style=\"font-size:11px;line-height:1.2\">{WebUtility.HtmlEncode(tile.Caption).Replace("\n", "<br/>")}</figcaption></figure>");
        }
        html.Append("</div></div>");
        return html.ToString();
    }

    /// <summary>The tiles in one PNG, <c>columns</c> a row (all in one row when not given): each pixel a scale x scale block, 2 white pixels between tiles; captions are not drawn.</summary>
    public byte[] ToPng()
    {
        if (Tiles.Count == 0) throw new InvalidOperationException("An empty grid has no picture.");
        int perRow = Math.Max(1, columns ?? Tiles.Count), rows = (Tiles.Count + perRow - 1) / perRow, gap = 2;
        int cellHeight = Tiles.Max(t => t.Height) * Scale, cellWidth = Tiles.Max(t => t.Width) * Scale;
        int height = rows * cellHeight + gap * (rows - 1);
        int width = columns is null ? Tiles.Sum(t => t.Width * Scale) + gap * (Tiles.Count - 1) : perRow * cellWidth + gap * (perRow - 1);
        var rgb = Enumerable.Repeat((byte)255, width * height * 3).ToArray();
        int left = 0;
        for (int i = 0; i < Tiles.Count; i++)
        {
            var tile = Tiles[i];
            int top = i / perRow * (cellHeight + gap);
            if (columns is not null) left = i % perRow * (cellWidth + gap);
            for (int y = 0; y < tile.Height * Scale; y++)
                for (int x = 0; x < tile.Width * Scale; x++)
                {
                    int source = ((y / Scale) * tile.Width + x / Scale) * tile.Channels;
                    for (int c = 0; c < 3; c++) rgb[((top + y) * width + left + x) * 3 + c] = tile.Pixels[source + (tile.Channels == 3 ? c : 0)];
                }
            if (columns is null) left += tile.Width * Scale + gap;
        }
        return PngEncoder.Encode(rgb, width, height, 3);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Title}: {Tiles.Count} images";
}
