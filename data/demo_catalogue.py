"""What a Jakarta permit-courier day is made of: names, phone numbers, addresses and permit documents.

Everything here is invented demo content drawn with a caller-supplied ``random.Random``; no real person,
street address or application is meant. E-mail addresses use the reserved ``example.com`` domain.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class NameGroup:
    """Naming customs of one of Jakarta's communities (first names, family names, one-name share).

    ``jumatan`` is the share of men assumed to attend Friday prayer, used only to draw the demo
    couriers' own choice; no religion or ethnicity is stored anywhere.
    """

    weight: int
    male: tuple[str, ...]
    female: tuple[str, ...]
    family: tuple[str, ...]
    one_name: float
    jumatan: float


NAME_GROUPS = (
    NameGroup(
        60,
        ("Agus", "Ahmad", "Andi", "Arief", "Asep", "Bambang", "Bayu", "Budi", "Dadang", "Dedi", "Dimas", "Eko",
         "Fajar", "Gilang", "Hadi", "Heru", "Imam", "Irfan", "Iwan", "Joko", "Muhammad", "Nur", "Rahmat", "Rizky",
         "Rudi", "Sigit", "Slamet", "Taufik", "Teguh", "Ujang", "Wahyu", "Yusuf"),
        ("Anisa", "Ayu", "Citra", "Dewi", "Dian", "Fitri", "Indah", "Lestari", "Maya", "Nabila", "Novi", "Nurul",
         "Putri", "Ratna", "Rina", "Rini", "Siti", "Sri", "Wulan", "Yuni"),
        ("Effendi", "Firmansyah", "Gunawan", "Hidayat", "Kurniawan", "Maulana", "Nugroho", "Permana", "Pratama",
         "Rahman", "Ramadhan", "Santoso", "Saputra", "Setiawan", "Sulistyo", "Suryadi", "Susanto", "Syahputra",
         "Wahyudi", "Wibowo"),
        0.25,
        0.95,
    ),
    NameGroup(
        14,
        ("Daniel", "Hendrik", "Johannes", "Marihot", "Rudolf", "Samuel", "Stefanus", "Togar", "Zulkifli"),
        ("Debora", "Fransiska", "Lamria", "Maria", "Rosmawati"),
        ("Ginting", "Harahap", "Hasibuan", "Hutapea", "Lubis", "Manurung", "Nasution", "Pangaribuan", "Purba",
         "Sembiring", "Simanjuntak", "Sinaga", "Siregar", "Sitompul", "Tambunan", "Tarigan"),
        0.0,
        0.4,
    ),
    NameGroup(
        8,
        ("Fauzi", "Hendri", "Irwan", "Rizal", "Yusrizal"),
        ("Fitria", "Rahmi", "Yulia"),
        ("Chaniago", "Koto", "Piliang", "Sikumbang", "Tanjung"),
        0.1,
        0.98,
    ),
    NameGroup(
        10,
        ("Hendra", "Kevin", "Rudy", "Steven", "William"),
        ("Grace", "Jessica", "Lili", "Meilani", "Yenny"),
        ("Halim", "Hartono", "Lim", "Salim", "Tan", "Wijaya"),
        0.0,
        0.1,
    ),
    NameGroup(
        4,
        ("Frans", "Marthen", "Ricky", "Yohanes"),
        ("Christin", "Meiske", "Novita"),
        ("Latuconsina", "Lumintang", "Pattiasina", "Rumondor", "Wowor"),
        0.0,
        0.3,
    ),
    NameGroup(
        4,
        ("Ketut", "Made", "Nyoman", "Putu", "Wayan"),
        ("Kadek", "Komang", "Made", "Putu"),
        ("Arimbawa", "Suardana", "Sudarsana", "Wirawan"),
        0.0,
        0.02,
    ),
)  # fmt: skip
# Indonesian mobile prefixes (Telkomsel, Indosat, XL/Axis, Tri, Smartfren)
MOBILE_PREFIXES = (
    "811", "812", "813", "821", "822", "823", "851", "852", "853", "814", "815", "816", "855", "856", "857",
    "858", "817", "818", "819", "859", "877", "878", "831", "832", "833", "838", "895", "896", "897", "898",
    "899", "881", "882", "883", "887", "888", "889",
)  # fmt: skip
STREETS = (
    "Jl. Mawar", "Jl. Melati", "Jl. Kenanga", "Jl. Anggrek", "Gg. Masjid", "Gg. Musholla", "Jl. Swadaya",
    "Jl. Damai", "Jl. Remaja", "Jl. Pendidikan", "Jl. Cempaka", "Jl. Flamboyan", "Jl. Bhakti", "Jl. Sawo",
    "Jl. Manggis", "Jl. Rambutan", "Jl. Delima", "Jl. Nangka", "Jl. Kemuning", "Jl. Teratai", "Jl. Dahlia",
    "Jl. Jambu", "Gg. Langgar", "Jl. Karya", "Jl. Harapan", "Gg. Kelinci", "Jl. Kebon Pala", "Jl. Haji Saidi",
)  # fmt: skip
ROMAN = ("", "", "", " II", " III", " IV", " V", " VI")
ESTATES = ("Griya Asri", "Permata Hijau Indah", "Bumi Mas", "Taman Sari Elok", "Villa Melati", "Puri Harapan")
TOWERS = ("Cendana Residence", "Teratai Apartment", "Gading Tower", "Kenari Park", "Anggrek Suites")
ACCESS_NOTES = (
    "Rumah cat hijau, pagar hitam.",
    "Masuk gang sebelah masjid, motor bisa masuk.",
    "Patokan: warung kopi di mulut gang.",
    "Telepon dulu, bel rumah rusak.",
    "Ada anjing di halaman, mohon telepon dari depan pagar.",
    "Ruko lantai 2, tangga di samping toko.",
    "Gang sempit, parkir motor di depan musala.",
    "Rumah pojok, sebelah pos RW.",
    "Satpam komplek minta KTP petugas di pos depan.",
    "Pemohon turun ke lobi; kurir tidak boleh naik.",
)
RELATIONS = ("istri", "suami", "anak", "adik", "staf kantor", "orang tua")


@dataclass(frozen=True)
class Doc:
    name: str
    copies: int = 1


@dataclass(frozen=True)
class Permit:
    """One kind of application: what the courier collects (pickup) or brings back (delivery)."""

    code: str
    label: str
    weight: int
    pickup_docs: tuple[Doc, ...]
    delivery_docs: tuple[Doc, ...]
    volume: int = 1
    large_share: float = 0.0  # applications with A1 drawing rolls: need the courier with the large box


PERMITS = (
    Permit(
        "PBG",
        "Persetujuan Bangunan Gedung (rumah tinggal)",
        26,
        (
            Doc("Surat permohonan PBG bermeterai"),
            Doc("Fotokopi KTP pemohon"),
            Doc("Fotokopi NPWP"),
            Doc("Fotokopi sertifikat tanah"),
            Doc("Fotokopi SPPT PBB tahun berjalan"),
            Doc("Gambar arsitektur (A3)", 2),
            Doc("Gambar struktur (A3)"),
        ),
        (Doc("SK Persetujuan Bangunan Gedung (asli)"), Doc("Lampiran gambar bangunan yang disahkan")),
        volume=3,
        large_share=0.3,
    ),
    Permit(
        "SLF",
        "Sertifikat Laik Fungsi",
        8,
        (
            Doc("Surat permohonan SLF"),
            Doc("Fotokopi KTP pemohon"),
            Doc("Fotokopi PBG/IMB"),
            Doc("Laporan pemeriksaan kelaikan fungsi"),
            Doc("Foto kondisi bangunan"),
        ),
        (Doc("Sertifikat Laik Fungsi (asli)"), Doc("Label SLF")),
        volume=2,
    ),
    Permit(
        "IUMK",
        "Izin Usaha Mikro Kecil",
        20,
        (
            Doc("Surat permohonan IUMK"),
            Doc("Fotokopi KTP pemohon"),
            Doc("Fotokopi Kartu Keluarga"),
            Doc("Surat pengantar RT/RW"),
            Doc("Pas foto 3x4", 2),
        ),
        (Doc("Naskah IUMK (asli)"),),
    ),
    Permit(
        "SIP",
        "Surat Izin Praktik tenaga kesehatan",
        16,
        (
            Doc("Surat permohonan SIP"),
            Doc("Fotokopi KTP pemohon"),
            Doc("Fotokopi STR dilegalisir"),
            Doc("Rekomendasi organisasi profesi"),
            Doc("Surat keterangan sehat"),
            Doc("Surat keterangan dari fasilitas pelayanan kesehatan"),
            Doc("Pas foto 4x6", 3),
        ),
        (Doc("Surat Izin Praktik (asli)"),),
    ),
    Permit(
        "IOP",
        "Izin Operasional PAUD",
        6,
        (
            Doc("Surat permohonan izin operasional"),
            Doc("Fotokopi akta pendirian yayasan"),
            Doc("Fotokopi SK Kemenkumham"),
            Doc("Fotokopi NPWP yayasan"),
            Doc("Kurikulum dan daftar pendidik"),
            Doc("Denah lokasi dan bukti sewa gedung"),
        ),
        (Doc("SK Izin Operasional (asli)"),),
        volume=3,
    ),
    Permit(
        "REK",
        "Izin Penyelenggaraan Reklame",
        10,
        (
            Doc("Surat permohonan izin reklame"),
            Doc("Fotokopi KTP pemohon"),
            Doc("Fotokopi NPWP"),
            Doc("Desain reklame berwarna"),
            Doc("Foto lokasi reklame"),
            Doc("Surat persetujuan pemilik lahan"),
        ),
        (Doc("SK Izin Penyelenggaraan Reklame (asli)"), Doc("Stiker penanda reklame")),
        volume=2,
    ),
    Permit(
        "TDUP",
        "Tanda Daftar Usaha Pariwisata",
        8,
        (
            Doc("Surat permohonan TDUP"),
            Doc("Fotokopi KTP pemohon"),
            Doc("Fotokopi NPWP"),
            Doc("Fotokopi akta pendirian badan usaha"),
            Doc("Fotokopi NIB"),
        ),
        (Doc("Sertifikat TDUP (asli)"),),
    ),
)
LARGE_DRAWINGS = Doc("Gambar bangunan ukuran A1 (gulungan)", 2)
POWER_OF_ATTORNEY = Doc("Surat kuasa bermeterai dan fotokopi KTP penerima kuasa")


@dataclass(frozen=True)
class Person:
    name: str
    female: bool
    jumatan: float  # see NameGroup


def person(rng: random.Random, *, female_share: float = 0.45) -> Person:
    """A name as Jakartans write it (some have one name only)."""
    group = rng.choices(NAME_GROUPS, weights=[g.weight for g in NAME_GROUPS])[0]
    female = rng.random() < female_share
    first = rng.choice(group.female if female else group.male)
    name = first if rng.random() < group.one_name else f"{first} {rng.choice(group.family)}"
    return Person(name, female, 0.0 if female else group.jumatan)


def mobile_phone(rng: random.Random) -> str:
    """An Indonesian mobile number in E.164 (+62 8xx…); random, so it may exist: never send it real messages."""
    digits = "".join(str(rng.randrange(10)) for _ in range(rng.choice((7, 8))))
    return f"+62{rng.choice(MOBILE_PREFIXES)}{digits}"


def email(rng: random.Random, name: str) -> str | None:
    if rng.random() >= 0.3:
        return None
    local = ".".join(name.lower().split())
    return f"{local}{rng.randrange(10, 99)}@example.com"


def plate(rng: random.Random) -> str:
    letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(rng.choice((2, 3))))
    return f"B {rng.randrange(1000, 9999)} {letters}"


def street_address(rng: random.Random) -> tuple[str, str]:
    """Street line and RT/RW (``005/011``) of a home."""
    rt_rw = f"{rng.randrange(1, 16):03d}/{rng.randrange(1, 13):03d}"
    roll = rng.random()
    if roll < 0.12:
        block = f"{rng.choice('ABCDEF')}{rng.randrange(1, 10)}"
        return f"Komp. {rng.choice(ESTATES)} Blok {block} No. {rng.randrange(1, 40)}", rt_rw
    if roll < 0.2:
        tower = rng.choice("ABCD")
        return (
            f"Apartemen {rng.choice(TOWERS)} Tower {tower} Lt. {rng.randrange(2, 30)} Unit {rng.randrange(1, 20):02d}",
            rt_rw,
        )
    return f"{rng.choice(STREETS)}{rng.choice(ROMAN)} No. {rng.randrange(1, 120)}", rt_rw


def access_note(rng: random.Random) -> str | None:
    return rng.choice(ACCESS_NOTES) if rng.random() < 0.55 else None


def pick_permit(rng: random.Random) -> Permit:
    return rng.choices(PERMITS, weights=[p.weight for p in PERMITS])[0]


def relation(rng: random.Random) -> str:
    return rng.choice(RELATIONS)
