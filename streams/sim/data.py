"""Static tables the simulator draws from: provinces, names, catalog items, diagnosis profiles.

Codes have the shapes of the national code lists (drugs ``40.nnn``, services ``CC.KKKK.GGGG``,
supplies ``Nnn.nn.nnn``) but the code-to-item pairing is invented. Prices are plausible VND.
"""

from __future__ import annotations

from typing import NamedTuple


class Province(NamedTuple):
    code: str  # 2-digit province / BHXH unit code
    name: str
    abbr: str  # as used in practising-licence numbers (000543/HCM-CCHN)
    weight: float  # share of simulated persons
    central: int  # number of central hospitals located there


PROVINCES = (
    Province("01", "Hà Nội", "HNO", 8.0, 2),
    Province("79", "TP Hồ Chí Minh", "HCM", 9.0, 2),
    Province("31", "Hải Phòng", "HPG", 2.0, 0),
    Province("46", "Huế", "HUE", 1.1, 1),
    Province("48", "Đà Nẵng", "DNA", 1.2, 0),
    Province("75", "Đồng Nai", "DNI", 3.0, 0),
    Province("92", "Cần Thơ", "CTH", 1.2, 0),
    Province("20", "Lạng Sơn", "LSO", 0.8, 0),
)

FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi",
          "Đỗ", "Hồ", "Ngô", "Dương", "Lý")
MIDDLE_M = ("Văn", "Hữu", "Đức", "Minh", "Quang", "Thành", "Công", "Xuân")
MIDDLE_F = ("Thị", "Ngọc", "Thu", "Thanh", "Kim", "Mỹ", "Bảo", "Hồng")
GIVEN_M = ("An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khoa", "Long", "Nam", "Phúc", "Quân",
           "Sơn", "Tâm", "Thắng", "Trung", "Tuấn", "Việt", "Vinh")
GIVEN_F = ("Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Mai",
           "Nga", "Nhung", "Phương", "Quỳnh", "Thảo", "Trang", "Yến")


class DrugItem(NamedTuple):
    key: str
    name: str
    unit: str
    price: float
    tyle_bh: float  # HI payment ratio %, 50 for drugs paid at a ratio


# Codes are assigned by position (catalog.py), so only append to keep simulations reproducible.
DRUGS = (
    DrugItem("paracetamol", "Paracetamol 500mg", "Viên", 250, 100),
    DrugItem("amoxicilin", "Amoxicilin 500mg", "Viên", 900, 100),
    DrugItem("amox_clav", "Amoxicilin + acid clavulanic 625mg", "Viên", 6500, 100),
    DrugItem("cefuroxim", "Cefuroxim 500mg", "Viên", 4200, 100),
    DrugItem("cefixim", "Cefixim 200mg", "Viên", 3200, 100),
    DrugItem("cefalexin", "Cefalexin 500mg", "Viên", 900, 100),
    DrugItem("azithromycin", "Azithromycin 250mg", "Viên", 3500, 100),
    DrugItem("clarithromycin", "Clarithromycin 500mg", "Viên", 6000, 100),
    DrugItem("ciprofloxacin", "Ciprofloxacin 500mg", "Viên", 1200, 100),
    DrugItem("doxycyclin", "Doxycyclin 100mg", "Viên", 500, 100),
    DrugItem("metronidazol", "Metronidazol 250mg", "Viên", 300, 100),
    DrugItem("amlodipin", "Amlodipin 5mg", "Viên", 350, 100),
    DrugItem("losartan", "Losartan 50mg", "Viên", 1200, 100),
    DrugItem("bisoprolol", "Bisoprolol 5mg", "Viên", 1100, 100),
    DrugItem("enalapril", "Enalapril 5mg", "Viên", 500, 100),
    DrugItem("nifedipin", "Nifedipin 20mg", "Viên", 700, 100),
    DrugItem("metformin", "Metformin 850mg", "Viên", 600, 100),
    DrugItem("gliclazid", "Gliclazid 30mg", "Viên", 1500, 100),
    DrugItem("atorvastatin", "Atorvastatin 20mg", "Viên", 1100, 100),
    DrugItem("aspirin", "Acetylsalicylic acid 81mg", "Viên", 200, 100),
    DrugItem("clopidogrel", "Clopidogrel 75mg", "Viên", 2500, 100),
    DrugItem("furosemid", "Furosemid 40mg", "Viên", 250, 100),
    DrugItem("spironolacton", "Spironolacton 25mg", "Viên", 900, 100),
    DrugItem("omeprazol", "Omeprazol 20mg", "Viên", 500, 100),
    DrugItem("sucralfat", "Sucralfat 1g", "Gói", 2500, 100),
    DrugItem("antacid", "Nhôm hydroxyd + magnesi hydroxyd", "Gói", 2800, 100),
    DrugItem("domperidon", "Domperidon 10mg", "Viên", 300, 100),
    DrugItem("alverin", "Alverin citrat 40mg", "Viên", 400, 100),
    DrugItem("oresol", "Oresol 245", "Gói", 1500, 100),
    DrugItem("kem", "Kẽm gluconat 10mg", "Gói", 2500, 100),
    DrugItem("loperamid", "Loperamid 2mg", "Viên", 300, 100),
    DrugItem("loratadin", "Loratadin 10mg", "Viên", 300, 100),
    DrugItem("cetirizin", "Cetirizin 10mg", "Viên", 250, 100),
    DrugItem("prednisolon", "Prednisolon 5mg", "Viên", 150, 100),
    DrugItem("methylpred", "Methylprednisolon 16mg", "Viên", 2500, 100),
    DrugItem("ibuprofen", "Ibuprofen 400mg", "Viên", 600, 100),
    DrugItem("diclofenac", "Diclofenac 50mg", "Viên", 400, 100),
    DrugItem("meloxicam", "Meloxicam 7,5mg", "Viên", 500, 100),
    DrugItem("glucosamin", "Glucosamin 500mg", "Viên", 1800, 50),
    DrugItem("alphachymo", "Alphachymotrypsin 4,2mg", "Viên", 600, 50),
    DrugItem("colchicin", "Colchicin 1mg", "Viên", 800, 100),
    DrugItem("allopurinol", "Allopurinol 300mg", "Viên", 900, 100),
    DrugItem("salbutamol", "Salbutamol 2mg", "Viên", 200, 100),
    DrugItem("ambroxol", "Ambroxol 30mg", "Viên", 400, 100),
    DrugItem("acetylcystein", "Acetylcystein 200mg", "Gói", 1200, 100),
    DrugItem("vitamin_c", "Vitamin C 500mg", "Viên", 300, 100),
    DrugItem("calci_d3", "Calci carbonat + vitamin D3", "Viên", 1200, 100),
    DrugItem("sat_folic", "Sắt fumarat + acid folic", "Viên", 800, 100),
    DrugItem("cinnarizin", "Cinnarizin 25mg", "Viên", 200, 100),
    DrugItem("piracetam", "Piracetam 800mg", "Viên", 900, 100),
    DrugItem("vinpocetin", "Vinpocetin 5mg", "Viên", 700, 50),
    DrugItem("fluconazol", "Fluconazol 150mg", "Viên", 5000, 100),
    DrugItem("aciclovir", "Aciclovir 400mg", "Viên", 1500, 100),
    DrugItem("diazepam", "Diazepam 5mg", "Viên", 300, 100),
    DrugItem("tramadol", "Tramadol 50mg", "Viên", 1800, 100),
    DrugItem("ceftriaxon", "Ceftriaxon 1g", "Lọ", 18000, 100),
    DrugItem("cefotaxim", "Cefotaxim 1g", "Lọ", 12000, 100),
    DrugItem("levofloxacin_iv", "Levofloxacin 500mg/100ml", "Chai", 65000, 100),
    DrugItem("metronidazol_iv", "Metronidazol 500mg/100ml", "Chai", 14000, 100),
    DrugItem("nacl", "Natri clorid 0,9% 500ml", "Chai", 9800, 100),
    DrugItem("glucose5", "Glucose 5% 500ml", "Chai", 11000, 100),
    DrugItem("ringer", "Ringer lactat 500ml", "Chai", 12000, 100),
    DrugItem("kcl", "Kali clorid 10% 5ml", "Ống", 3000, 100),
    DrugItem("paracetamol_iv", "Paracetamol 1g/100ml", "Chai", 25000, 100),
    DrugItem("esomeprazol_iv", "Esomeprazol 40mg", "Lọ", 45000, 100),
    DrugItem("dexamethason", "Dexamethason 4mg/ml", "Ống", 1500, 100),
    DrugItem("furosemid_iv", "Furosemid 20mg/2ml", "Ống", 2100, 100),
    DrugItem("enoxaparin", "Enoxaparin 40mg/0,4ml", "Bơm tiêm", 78000, 100),
    DrugItem("insulin", "Insulin người trộn 30/70 100IU/ml 10ml", "Lọ", 95000, 100),
    DrugItem("morphin", "Morphin 10mg/ml", "Ống", 6500, 100),
    DrugItem("ondansetron", "Ondansetron 8mg/4ml", "Ống", 12000, 100),
    DrugItem("metoclopramid", "Metoclopramid 10mg/2ml", "Ống", 2000, 100),
    DrugItem("budesonid", "Budesonid 0,5mg/2ml khí dung", "Ống", 14000, 100),
    DrugItem("ipra_salbu", "Ipratropium + salbutamol khí dung", "Ống", 9000, 100),
    DrugItem("lidocain", "Lidocain 2% 2ml", "Ống", 1200, 100),
    DrugItem("albumin", "Albumin người 20% 50ml", "Chai", 650000, 50),
    DrugItem("oxy", "Oxy dược dụng", "Lít", 50, 100),
)

# Drugs that were once on the list and were removed before the simulated period (CT01 bait).
EXPIRED_DRUGS = (
    DrugItem("cefaclor", "Cefaclor 250mg", "Viên", 2800, 100),
    DrugItem("nimesulid", "Nimesulid 100mg", "Viên", 700, 100),
    DrugItem("ginkgo", "Cao Ginkgo biloba 40mg", "Viên", 1900, 100),
)
# Products that are on no list at all (CT01 bait).
UNLISTED_DRUGS = (
    DrugItem("glutathion", "Glutathion 600mg", "Lọ", 120000, 100),
    DrugItem("nattokinase", "Nattokinase 100mg", "Viên", 4500, 100),
    DrugItem("collagen", "Collagen thủy phân", "Gói", 9000, 100),
)


class ServiceItem(NamedTuple):
    key: str
    code: str
    name: str
    unit: str
    ma_nhom: int  # 1 lab, 2 imaging, 3 function, 8 surgery, 13 consultation, 15 bed, 18 procedure
    price: float


SERVICES = (
    ServiceItem("kham_noi", "02.1896", "Khám Nội", "Lần", 13, 50600),
    ServiceItem("kham_nhi", "03.1897", "Khám Nhi", "Lần", 13, 50600),
    ServiceItem("kham_ngoai", "10.1898", "Khám Ngoại", "Lần", 13, 50600),
    ServiceItem("kham_tmh", "15.1901", "Khám Tai mũi họng", "Lần", 13, 50600),
    ServiceItem("kham_mat", "14.1900", "Khám Mắt", "Lần", 13, 50600),
    ServiceItem("kham_da", "05.1903", "Khám Da liễu", "Lần", 13, 50600),
    ServiceItem("ure", "23.0166.1494", "Định lượng Urê máu", "Lần", 1, 21500),
    ServiceItem("creatinin", "23.0075.1494", "Định lượng Creatinin máu", "Lần", 1, 21500),
    ServiceItem("glucose", "23.0058.1487", "Định lượng Glucose máu", "Lần", 1, 21500),
    ServiceItem("cholesterol", "23.0083.1506", "Định lượng Cholesterol toàn phần", "Lần", 1, 26900),
    ServiceItem("triglycerid", "23.0084.1506", "Định lượng Triglycerid", "Lần", 1, 26900),
    ServiceItem("ast", "23.0020.1493", "Đo hoạt độ AST (GOT)", "Lần", 1, 21500),
    ServiceItem("alt", "23.0019.1493", "Đo hoạt độ ALT (GPT)", "Lần", 1, 21500),
    ServiceItem("cbc", "22.0121.1370", "Tổng phân tích tế bào máu ngoại vi (máy laser)", "Lần", 1,
                46200),
    ServiceItem("urine", "23.0206.1596", "Tổng phân tích nước tiểu", "Lần", 1, 27400),
    ServiceItem("hba1c", "23.0047.1509", "Định lượng HbA1c", "Lần", 1, 101000),
    ServiceItem("electrolytes", "23.0130.1523", "Điện giải đồ (Na, K, Cl)", "Lần", 1, 29000),
    ServiceItem("crp", "23.0112.1496", "Định lượng CRP", "Lần", 1, 53800),
    ServiceItem("uric", "23.0030.1488", "Định lượng Acid Uric", "Lần", 1, 21500),
    ServiceItem("pt", "22.0001.1349", "Thời gian prothrombin (PT)", "Lần", 1, 63100),
    ServiceItem("dengue_ns1", "24.0211.1674", "Dengue virus NS1Ag test nhanh", "Lần", 1, 131000),
    ServiceItem("xray_chest", "18.0070.0028", "Chụp X-quang ngực thẳng", "Lần", 2, 65400),
    ServiceItem("xray_spine", "18.0091.0029", "Chụp X-quang cột sống thắt lưng", "Lần", 2, 97200),
    ServiceItem("us_abdomen", "18.0015.0001", "Siêu âm ổ bụng", "Lần", 2, 43900),
    ServiceItem("us_heart", "18.0027.0004", "Siêu âm tim", "Lần", 2, 222000),
    ServiceItem("ct_head", "18.0208.0041", "Chụp CT sọ não không tiêm cản quang", "Lần", 2, 536000),
    ServiceItem("ecg", "02.0085.1778", "Điện tim thường", "Lần", 3, 32800),
    ServiceItem("spirometry", "02.0161.1796", "Đo chức năng hô hấp", "Lần", 3, 135000),
    ServiceItem("dressing", "03.3826.0211", "Thay băng vết thương chiều dài dưới 15cm", "Lần", 18,
                57600),
    ServiceItem("nebulize", "02.0312.0098", "Khí dung thuốc cấp cứu", "Lần", 18, 20100),
    ServiceItem("stitch_out", "10.0843.0544", "Cắt chỉ khâu da", "Lần", 18, 35600),
    ServiceItem("ng_tube", "01.0066.0082", "Đặt ống thông dạ dày", "Lần", 18, 92000),
    ServiceItem("appendectomy", "10.0551.0485", "Phẫu thuật nội soi cắt ruột thừa", "Lần", 8,
                2800000),
    ServiceItem("bed_internal", "K03.1920", "Giường Nội khoa loại 1", "Ngày", 15, 243700),
    ServiceItem("bed_surgery", "K19.1932", "Giường Ngoại khoa loại 3 (sau phẫu thuật)", "Ngày", 15,
                212000),
    ServiceItem("bed_pediatric", "K26.1921", "Giường Nhi khoa loại 1", "Ngày", 15, 243700),
    ServiceItem("bed_icu", "K02.1910", "Giường Hồi sức cấp cứu", "Ngày", 15, 440000),
    # Oxygen is part of its price (CT07): clean claims never bill it, CT07 injections do.
    ServiceItem("ventilation", "01.0129.0209", "Thông khí nhân tạo không xâm nhập", "Ngày", 18,
                600000),
)
EXPIRED_SERVICES = (
    ServiceItem("old_lipid", "23.0082.1505", "Định lượng Cholesterol (bộ cũ)", "Lần", 1, 25000),
    ServiceItem("old_xray", "18.0069.0027", "Chụp X-quang ngực (phim cũ)", "Lần", 2, 60000),
)
UNLISTED_SERVICES = (
    ServiceItem("vit_d", "23.0999.1999", "Định lượng Vitamin D (ngoài danh mục)", "Lần", 1,
                350000),
    ServiceItem("massage", "17.0999.0999", "Xoa bóp thư giãn (ngoài danh mục)", "Lần", 18, 120000),
)


class SupplyItem(NamedTuple):
    key: str
    code: str
    name: str
    unit: str
    price: float


SUPPLIES = (
    SupplyItem("syringe5", "N03.01.070", "Bơm tiêm nhựa dùng một lần 5ml", "Cái", 850),
    SupplyItem("syringe10", "N03.01.080", "Bơm tiêm nhựa dùng một lần 10ml", "Cái", 1100),
    SupplyItem("cannula", "N03.05.010", "Kim luồn tĩnh mạch 20G", "Cái", 9800),
    SupplyItem("iv_set", "N03.02.040", "Dây truyền dịch", "Bộ", 4500),
    SupplyItem("gloves", "N04.03.010", "Găng tay phẫu thuật tiệt trùng", "Đôi", 4800),
    SupplyItem("gauze", "N02.03.030", "Gạc phẫu thuật 10x10cm", "Gói", 9000),
    SupplyItem("foley", "N06.01.040", "Ống thông tiểu Foley 2 nhánh", "Cái", 21000),
    SupplyItem("ng_tube_set", "N03.03.020", "Ống thông dạ dày", "Cái", 12000),
    SupplyItem("o2_mask", "N08.00.050", "Mặt nạ thở oxy", "Cái", 23000),
    SupplyItem("suture", "N07.01.010", "Chỉ khâu phẫu thuật tự tiêu", "Sợi", 58000),
)
EXPIRED_SUPPLIES = (
    SupplyItem("old_syringe", "N03.01.060", "Bơm tiêm nhựa 3ml (mẫu cũ)", "Cái", 700),
)
UNLISTED_SUPPLIES = (
    SupplyItem("cold_pack", "N99.01.001", "Túi chườm lạnh (ngoài danh mục)", "Cái", 35000),
)


class Outpatient(NamedTuple):
    icd: tuple[str, ...]
    consult: str
    labs: tuple[str, ...]
    imaging: tuple[str, ...]  # imaging, function tests or procedures: at most one per visit
    drugs: tuple[str, ...]
    extra_icd: tuple[str, ...] = ()


OUTPATIENT = (
    Outpatient(("J02.9", "J06.9", "J00", "J20.9"), "kham_tmh", ("cbc", "crp"), ("xray_chest",),
               ("amoxicilin", "amox_clav", "cefuroxim", "paracetamol", "ambroxol",
                "acetylcystein", "azithromycin")),
    Outpatient(("I10", "I11.9"), "kham_noi", ("creatinin", "glucose", "cholesterol",
                                                "electrolytes"), ("ecg",),
               ("amlodipin", "losartan", "bisoprolol", "enalapril", "nifedipin", "aspirin",
                "atorvastatin"), ("E78.5",)),
    Outpatient(("E11.9", "E11.8"), "kham_noi", ("glucose", "hba1c", "creatinin", "triglycerid",
                                                  "ure"), (),
               ("metformin", "gliclazid", "atorvastatin", "aspirin"), ("I10", "E78.5")),
    Outpatient(("K29.7", "K21.9", "K30"), "kham_noi", ("cbc",), ("us_abdomen",),
               ("omeprazol", "sucralfat", "antacid", "domperidon", "alverin")),
    Outpatient(("M54.5", "M17.9", "M47.8"), "kham_ngoai", ("uric",), ("xray_spine",),
               ("meloxicam", "diclofenac", "paracetamol", "glucosamin", "alphachymo",
                "calci_d3")),
    Outpatient(("A09", "K52.9"), "kham_noi", ("cbc",), (),
               ("oresol", "kem", "loperamid", "alverin")),
    Outpatient(("L30.9", "L50.9", "B35.4"), "kham_da", (), (),
               ("loratadin", "cetirizin", "prednisolon", "fluconazol")),
    Outpatient(("H10.9", "H10.3"), "kham_mat", (), (), ("loratadin", "cetirizin", "vitamin_c")),
    Outpatient(("M10.9",), "kham_noi", ("uric", "creatinin"), (),
               ("colchicin", "allopurinol", "meloxicam")),
    Outpatient(("R42", "I67.9"), "kham_noi", ("glucose", "cholesterol"), ("ecg",),
               ("cinnarizin", "piracetam", "vinpocetin", "aspirin")),
    Outpatient(("S61.0", "T14.1"), "kham_ngoai", (), ("dressing", "stitch_out"),
               ("cefalexin", "paracetamol", "ibuprofen")),
    Outpatient(("J45.9", "J44.9"), "kham_noi", ("cbc",), ("spirometry", "nebulize"),
               ("salbutamol", "prednisolon", "acetylcystein")),
)


class Inpatient(NamedTuple):
    icd: tuple[str, ...]
    department: str
    bed: str
    labs: tuple[str, ...]
    imaging: tuple[str, ...]
    iv_drugs: tuple[str, ...]
    oral_drugs: tuple[str, ...]
    supplies: tuple[str, ...]
    surgery: str | None = None
    extra_icd: tuple[str, ...] = ()


INPATIENT = (
    Inpatient(("J18.9", "J15.9"), "K03", "bed_internal", ("cbc", "crp", "electrolytes", "ure"),
              ("xray_chest",), ("ceftriaxon", "levofloxacin_iv", "nacl", "paracetamol_iv"),
              ("ambroxol", "acetylcystein", "paracetamol"), ("syringe10", "cannula", "iv_set")),
    Inpatient(("I63.9", "I61.9"), "K03", "bed_internal",
              ("cbc", "glucose", "cholesterol", "electrolytes", "pt"), ("ct_head", "ecg"),
              ("nacl", "glucose5"), ("aspirin", "clopidogrel", "atorvastatin", "piracetam"),
              ("syringe5", "cannula", "iv_set", "ng_tube_set"), extra_icd=("I10",)),
    Inpatient(("K35.8", "K35.3"), "K19", "bed_surgery", ("cbc", "pt", "glucose", "ure"),
              ("us_abdomen",), ("ceftriaxon", "metronidazol_iv", "ringer", "paracetamol_iv",
                                "morphin", "ondansetron"),
              ("cefuroxim", "paracetamol"), ("syringe5", "cannula", "iv_set", "gauze", "gloves",
                                             "suture"), surgery="appendectomy"),
    Inpatient(("A91", "A90"), "K03", "bed_internal", ("cbc", "dengue_ns1", "ast", "alt"), (),
              ("ringer", "nacl", "paracetamol_iv"), ("paracetamol", "oresol"),
              ("syringe5", "cannula", "iv_set")),
    Inpatient(("J44.1",), "K03", "bed_internal", ("cbc", "crp", "electrolytes"),
              ("xray_chest", "ecg"), ("ceftriaxon", "methylpred", "budesonid", "ipra_salbu",
                                      "oxy"), ("acetylcystein", "salbutamol"),
              ("syringe10", "cannula", "o2_mask")),
    Inpatient(("I50.0", "I50.9"), "K03", "bed_internal", ("cbc", "electrolytes", "creatinin"),
              ("xray_chest", "us_heart", "ecg"), ("furosemid_iv", "enoxaparin", "kcl"),
              ("spironolacton", "bisoprolol", "aspirin", "furosemid"),
              ("syringe5", "cannula", "foley"), extra_icd=("I10",)),
    Inpatient(("E11.6", "E11.5"), "K03", "bed_internal", ("glucose", "hba1c", "creatinin",
                                                         "electrolytes"), ("ecg",),
              ("insulin", "nacl"), ("metformin", "atorvastatin"), ("syringe5", "cannula")),
    Inpatient(("K92.2", "K25.4"), "K03", "bed_icu", ("cbc", "pt", "ure", "creatinin"),
              ("us_abdomen",), ("esomeprazol_iv", "nacl", "ringer", "albumin"),
              ("sucralfat", "omeprazol"), ("syringe10", "cannula", "iv_set", "ng_tube_set")),
    Inpatient(("A09", "E86"), "K26", "bed_pediatric", ("cbc", "electrolytes"), (),
              ("ringer", "glucose5", "ondansetron"), ("oresol", "kem"),
              ("syringe5", "cannula", "iv_set")),
)
