using ParameterSaliency.Data;
using static TorchSharp.torch;

namespace ParameterSaliency.Imaging;

/// <summary>
/// Every image the page shows, as tiles of a few PNG sheets (one request per sheet instead of one per image): images
/// larger than <see cref="MaxTile"/> pixels a side are shrunk by area averaging.
/// </summary>
internal sealed class ThumbnailSheets
{
    /// <summary>Largest side of a tile in pixels.</summary>
    public const int MaxTile = 48;
    /// <summary>Tiles per row and rows per sheet.</summary>
    public const int Columns = 64, Rows = 64;

    readonly Dictionary<int, int> slots = [];

    ThumbnailSheets(int tileHeight, int tileWidth, int channels) => (TileHeight, TileWidth, Channels) = (tileHeight, tileWidth, channels);

    public int TileHeight { get; }
    public int TileWidth { get; }
    public int Channels { get; }
    /// <summary>The sheets' PNG bytes, in order.</summary>
    public List<byte[]> Sheets { get; } = [];
    /// <summary>The data-set indices of the images drawn.</summary>
    public IEnumerable<int> Images => slots.Keys.Order();
    /// <summary>Tile of each image: (sheet, position in the sheet).</summary>
    public (int Sheet, int Slot) TileOf(int image) => (slots[image] / (Columns * Rows), slots[image] % (Columns * Rows));

    /// <summary>Draws the images at <paramref name="indices"/> (data-set indices, each once) onto sheets.</summary>
    public static ThumbnailSheets Of(ImageDataset data, IReadOnlyCollection<int> indices)
    {
        var (channels, height, width) = data.ImageShape;
        double shrink = Math.Min(1.0, (double)MaxTile / Math.Max(height, width));
        int tileHeight = Math.Max(1, (int)Math.Round(height * shrink)), tileWidth = Math.Max(1, (int)Math.Round(width * shrink));
        int shown = channels >= 3 ? 3 : 1;
        var sheets = new ThumbnailSheets(tileHeight, tileWidth, shown);
        int[] ordered = indices.Distinct().Order().ToArray();
        int perSheet = Columns * Rows;
        for (int first = 0; first < ordered.Length; first += perSheet)
        {
            int[] part = ordered.Skip(first).Take(perSheet).ToArray();
            int rows = (part.Length + Columns - 1) / Columns, sheetWidth = Columns * tileWidth, sheetHeight = rows * tileHeight;
            var bytes = new byte[sheetWidth * sheetHeight * shown];
            for (int start = 0; start < part.Length; start += 256)
            {
                using var scope = NewDisposeScope();
                int[] chunk = part.Skip(start).Take(256).ToArray();
                var pixels = data.Normalization.Invert(data.Images.index_select(0, tensor(chunk.Select(i => (long)i).ToArray())).to(ScalarType.Float32));
                if (channels != shown) pixels = pixels.narrow(1, 0, shown);
                if (tileHeight != height || tileWidth != width) pixels = nn.functional.adaptive_avg_pool2d(pixels, [tileHeight, tileWidth]);
                for (int t = 0; t < chunk.Length; t++)
                {
                    byte[] tile = ImageTile.FromUnitTensor(pixels[t], "").Pixels;
                    int slot = start + t, left = slot % Columns * tileWidth, top = slot / Columns * tileHeight;
                    for (int y = 0; y < tileHeight; y++)
                        Array.Copy(tile, y * tileWidth * shown, bytes, ((top + y) * sheetWidth + left) * shown, tileWidth * shown);
                    sheets.slots[chunk[t]] = first + slot;
                }
            }
            sheets.Sheets.Add(PngEncoder.Encode(bytes, sheetWidth, sheetHeight, shown));
        }
        return sheets;
    }
}
