"""Builders of small real files for tests (DOCX, PDF, audio) - made on the fly, nothing binary in git -
and a few shared steps of library tests."""
from __future__ import annotations

import io


def make_docx(paragraphs: list[str]) -> bytes:
    import docx
    document = docx.Document()
    for p in paragraphs:
        document.add_paragraph(p)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def make_pdf(pages: list[str]) -> bytes:
    """A minimal valid PDF with one line of Helvetica text per page (ASCII only)."""
    objects: list[bytes] = []
    n = len(pages)
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode())
    font_id = 3 + 2 * n
    for i, page_text in enumerate(pages):
        escaped = page_text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream = f"BT /F1 12 Tf 72 720 Td ({escaped}) Tj ET".encode()
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
                       f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode())
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def transcode(src, dst, codec: str, rate: int = 16000) -> None:
    """Re-encode audio with PyAV (e.g. to MP3) - no system ffmpeg needed."""
    import av
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        resampler = av.AudioResampler(format=stream.format.name if stream.format else "s16p", layout="mono",
                                      rate=rate)
        for frame in inp.decode(audio=0):
            for f in resampler.resample(frame):
                for packet in stream.encode(f):
                    out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def make_silence(dst, seconds: int) -> None:
    """A FLAC file of digital silence (compresses to almost nothing)."""
    import av
    import numpy as np
    rate = 16000
    with av.open(str(dst), "w") as out:
        stream = out.add_stream("flac", rate=rate, layout="mono")
        chunk = np.zeros((1, rate * 10), dtype=np.int16)
        for _ in range(seconds // 10):
            frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout="mono")
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def make_video_only(dst) -> None:
    """An MP4 with a few frames of video and no audio stream."""
    import av
    import numpy as np
    with av.open(str(dst), "w") as out:
        stream = out.add_stream("mpeg4", rate=5)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for _ in range(5):
            frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), dtype=np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def speak(text: str, voice: str, dst) -> None:
    """Synthetic speech with espeak-ng (installed by scripts/test.sh)."""
    import subprocess
    subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(dst), text], check=True)


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate after lower-casing and removing punctuation (jiwer)."""
    import jiwer
    norm = jiwer.Compose([jiwer.ToLowerCase(), jiwer.RemovePunctuation(), jiwer.RemoveMultipleSpaces(),
                          jiwer.Strip(), jiwer.ReduceToListOfListOfWords()])
    return jiwer.wer(reference, hypothesis, reference_transform=norm, hypothesis_transform=norm)


def apply_named_code(store, project, code_name, start, end, memo=None):
    """Code [start, end) of the project's (first) source with the code called ``code_name``;
    returns ``(coding id, created)``."""
    from sqlalchemy import select

    from workbench.codebook.lookup import find_code
    from workbench.coding.codings import apply_code
    from workbench.db.models import Coder, Source
    project_id, coder_id = project
    with store.write(f"code {code_name}", project_id=project_id, coder_id=coder_id) as s:
        src = s.scalar(select(Source).where(Source.project_id == project_id))
        code = find_code(s, project_id, code_name)
        coding, created = apply_code(s, src, code.id, s.get(Coder, coder_id), start, end, memo=memo)
        return coding.id, created



def unescaped(markdown: str) -> str:
    """What a reader sees of markdown the app escaped (``ui.safe.md``): the text without the
    backslashes."""
    import re
    return re.sub(r"\\(.)", r"\1", markdown)


def concatenate_speech(parts, dst, pause: float = 1.0) -> None:
    """One 16 kHz mono WAV of the recordings ``parts`` in order, ``pause`` seconds of silence
    between them (a turn change)."""
    import numpy as np

    from workbench.transcription.audio import SAMPLE_RATE, decode, write_wav
    gap = np.zeros(int(pause * SAMPLE_RATE), dtype=np.float32)
    pieces = []
    for i, part in enumerate(parts):
        pieces += ([gap] if i else []) + [decode(part)]
    write_wav(np.concatenate(pieces), dst)
