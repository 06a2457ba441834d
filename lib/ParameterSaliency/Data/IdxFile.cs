using System.Buffers.Binary;
using System.IO.Compression;

namespace ParameterSaliency.Data;

/// <summary>
/// Reads the IDX format of MNIST-style data sets (gzip-compressed or not): a big-endian magic
/// number 0x00000803 (images, then count, rows, columns) or 0x00000801 (labels, then count),
/// followed by one unsigned byte per pixel or label.
/// </summary>
public static class IdxFile
{
    const int ImagesMagic = 0x00000803;
    const int LabelsMagic = 0x00000801;

    /// <summary>Images as bytes [count * rows * columns], row-major.</summary>
    /// <param name="path">An IDX image file (magic 0x00000803), gzip-compressed or not.</param>
    public static IdxImages ReadImages(string path)
    {
        byte[] content = ReadContent(path);
        if (content.Length < 16) throw Corrupt(path, $"only {content.Length} bytes, shorter than the 16-byte image header");
        int magic = BinaryPrimitives.ReadInt32BigEndian(content);
        if (magic != ImagesMagic) throw Corrupt(path, $"magic number 0x{magic:x8} is not 0x{ImagesMagic:x8} (an image file)");
        int count = BinaryPrimitives.ReadInt32BigEndian(content.AsSpan(4));
        int rows = BinaryPrimitives.ReadInt32BigEndian(content.AsSpan(8));
        int columns = BinaryPrimitives.ReadInt32BigEndian(content.AsSpan(12));
        if (count < 0 || rows <= 0 || columns <= 0) throw Corrupt(path, $"header claims {count} images of {rows}x{columns}");
        long expected = 16L + (long)count * rows * columns;
        if (content.Length != expected)
            throw Corrupt(path, $"header claims {count} images of {rows}x{columns} ({expected} bytes) but the content has {content.Length} bytes{(content.Length < expected ? " (truncated)" : "")}");
        return new IdxImages(content[16..], count, rows, columns);
    }

    /// <summary>Labels, one byte each.</summary>
    /// <param name="path">An IDX label file (magic 0x00000801), gzip-compressed or not.</param>
    public static byte[] ReadLabels(string path)
    {
        byte[] content = ReadContent(path);
        if (content.Length < 8) throw Corrupt(path, $"only {content.Length} bytes, shorter than the 8-byte label header");
        int magic = BinaryPrimitives.ReadInt32BigEndian(content);
        if (magic != LabelsMagic) throw Corrupt(path, $"magic number 0x{magic:x8} is not 0x{LabelsMagic:x8} (a label file)");
        int count = BinaryPrimitives.ReadInt32BigEndian(content.AsSpan(4));
        if (count < 0 || content.Length != 8L + count)
            throw Corrupt(path, $"header claims {count} labels but the content has {content.Length - 8}{(content.Length - 8 < count ? " (truncated)" : "")}");
        return content[8..];
    }

    /// <summary>The decompressed bytes of an IDX file (gzip detected by its magic bytes).</summary>
    /// <param name="path">The IDX file; gzip is recognised by its first two bytes.</param>
    public static byte[] ReadContent(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"IDX file not found: '{path}'.", path);
        using var file = File.OpenRead(path);
        Span<byte> head = stackalloc byte[2];
        int read = file.Read(head);
        file.Position = 0;
        bool gzip = read == 2 && head[0] == 0x1f && head[1] == 0x8b;
        if (!gzip) return File.ReadAllBytes(path);
        try
        {
            using var inflater = new GZipStream(file, CompressionMode.Decompress);
            using var buffer = new MemoryStream();
            inflater.CopyTo(buffer);
            return buffer.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw Corrupt(path, "gzip stream is damaged or truncated: " + e.Message);
        }
        catch (EndOfStreamException e)
        {
            throw Corrupt(path, "gzip stream ends early (truncated file): " + e.Message);
        }
    }

    static InvalidDataException Corrupt(string path, string problem) => new($"'{path}' is not a valid IDX file: {problem}.");
}

/// <summary>Raw IDX images: <see cref="Pixels"/> holds <see cref="Count"/> images of <see cref="Rows"/> x <see cref="Columns"/> bytes.</summary>
/// <param name="Pixels">Every pixel as one byte, [Count * Rows * Columns], image after image, row-major.</param>
/// <param name="Count">Number of images.</param>
/// <param name="Rows">Image height in pixels.</param>
/// <param name="Columns">Image width in pixels.</param>
public sealed record IdxImages(byte[] Pixels, int Count, int Rows, int Columns);
